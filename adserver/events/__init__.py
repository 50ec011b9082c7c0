"""Impressions, views and clicks: from the request to a Redis buffer to SQL, never lost, never doubled.

`event` (the value and its cost), `client` (who is asking), `sink` (the web side), `spool` (while
Redis is away), `jobs` (the worker side), `store` (SQL rows and rollups), `reconcile` (three counts
compared).
"""
