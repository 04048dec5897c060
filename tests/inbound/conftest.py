"""Inbound tests: stored messages routed by the worker (in this process unless a test
says otherwise)."""
