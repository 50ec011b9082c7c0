"""adserver: contextual sponsored-card placement for news sites."""

from __future__ import annotations

__version__ = "0.1.0"


def create_app(overrides: dict | None = None):
    """Build the Flask app: settings from config/ + environment (+ overrides), extensions, blueprints."""
    from .app import create_app as _create_app

    return _create_app(overrides)
