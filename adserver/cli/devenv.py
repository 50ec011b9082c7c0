"""The settings `adserver dev` (`make dev`) runs with, kept for the CLI in the same checkout: var/dev.env.

`adserver dev` writes it (ENVIRONMENT=development, the SQL database and the Redis it uses), so that
`.venv/bin/adserver tokens create ...` in a second terminal talks to the running service. Never in production:
it is read only in a git checkout (an installed package and the image have none), only when ENVIRONMENT is not
set (the image sets it), never by `adserver worker`, and a variable set in the environment always wins.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import MutableMapping
from pathlib import Path

from .. import settings

KEYS = ("ENVIRONMENT", "DATABASE_URL", "REDIS_URL")
NOT_FOR = ("dev", "worker")  # dev writes the file; a worker is a service, configured by its environment


def path() -> Path:
    return settings.ROOT / "var" / "dev.env"


def is_checkout() -> bool:
    return (settings.ROOT / ".git").exists()


def write(values: dict[str, str]) -> None:
    """Keep `values` (of KEYS) for the CLI; sh syntax, so `set -a; . var/dev.env` works too."""
    if not is_checkout():
        return
    lines = [f"{k}={shlex.quote(v)}" for k, v in values.items() if k in KEYS and v]
    path().parent.mkdir(parents=True, exist_ok=True)
    path().write_text(
        "# Written by `adserver dev` for the CLI in this checkout; never read in production.\n"
        + "\n".join(lines)
        + "\n"
    )


def read() -> dict[str, str]:
    try:
        text = path().read_text()
    except FileNotFoundError:
        return {}
    values = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 1 and "=" in words[0]:
            key, value = words[0].split("=", 1)
            if key in KEYS:
                values[key] = value
    return values


def apply(command: str | None, environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Put var/dev.env's settings into `environ` where it has none, for `command`; returns what was applied."""
    if command in NOT_FOR or "ENVIRONMENT" in environ or not is_checkout():
        return {}
    applied = {k: v for k, v in read().items() if k not in environ}
    environ.update(applied)
    return applied
