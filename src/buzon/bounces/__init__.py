"""Bounce parsing and reason classification (pure Python, no Django). See issue 5."""
