"""Buzón: an open-source help desk whose email conversations can be trusted."""

__version__ = "0.1.0"
