"""Plumbing: SQL storage and migrations, Redis clients, keys and Lua scripts, logs, metrics, pollers."""
