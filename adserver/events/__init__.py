"""Impressions, views and clicks: from the request to a Redis buffer to SQL, never lost, never doubled.

`event` (the value and its cost), `tracking` (signed view and click URLs), `pacing` (budgets in Redis, the
decision's gate), `sink` (the web side), `spool` (while Redis is away), `jobs` (the worker side), `store`
(SQL rows and rollups), `partitions` (raw events by day), `reconcile` (three counts compared), `reporting`
(advertisers' reports over the rollups).
"""
