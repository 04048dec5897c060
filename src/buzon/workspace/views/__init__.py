"""Workspace pages, one module per feature; each view is a small function."""
