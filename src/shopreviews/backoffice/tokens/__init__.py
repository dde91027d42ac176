"""The back office's API tokens page."""
