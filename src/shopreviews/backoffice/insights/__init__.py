"""The back office's insights pages."""
