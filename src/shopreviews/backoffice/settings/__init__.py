"""The back office's settings pages."""
