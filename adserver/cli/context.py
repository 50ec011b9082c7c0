"""What every CLI command shares: the services of one run, built on first use."""

from __future__ import annotations

import click

from ..services import Services
from ..settings import load_settings


class Context:
    """Lazily built services for one CLI run (settings validated once, at first use)."""

    def __init__(self, overrides: dict):
        self.overrides = overrides
        self._services = None
        self._settings = None

    @property
    def services(self):
        return self.worker_services(ranking=True)

    def worker_services(self, ranking: bool = False):
        """The services, built on first use; `ranking=False` for a process that only runs jobs (no model)."""
        if self._services is None:
            self._settings = self._settings or load_settings(self.overrides)
            self._services = Services.from_settings(self._settings, ranking)
        return self._services

    @property
    def settings(self):
        return self.services.settings

    def settings_or_none(self):
        """The settings once loaded (for error messages), even if building the services failed."""
        return self._settings

    def close(self) -> None:
        """Release connections (matters when one process runs many commands, as tests do)."""
        if self._services is not None:
            self._services.close()
            self._services = None


pass_ctx = click.make_pass_decorator(Context)
