"""The back office's reviews pages."""
