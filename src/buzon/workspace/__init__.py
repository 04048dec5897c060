"""The agent workspace: server-rendered pages for support agents and admins."""
