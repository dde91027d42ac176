"""The back office's integrations pages."""
