"""The event jobs' old dotted paths: a job queued as `adserver.jobs.persist_pending` (before a deploy
moved them to `adserver.events.jobs`) still runs, since rq finds a job's function by its path."""

from .events.jobs import persist_batch, persist_pending

__all__ = ["persist_batch", "persist_pending"]
