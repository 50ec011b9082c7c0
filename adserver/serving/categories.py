"""The sensitive categories a campaign may exclude (crime, disasters, war and conflict, ...): the project's own
table, `adserver/model/data/sensitive.yaml`, each standing for IAB Content Taxonomy 3.0 sensitive nodes, and a
publisher's name for one (by name or alias) as ours. Brand safety's rules are in `safety`."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from .text import normalize_term


@lru_cache(maxsize=1)
def categories() -> dict[str, dict]:
    """name -> {iab, aliases, description, examples}."""
    path = resources.files("adserver.model").joinpath("data/sensitive.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    out = {}
    for name, entry in categories().items():
        out[name] = name
        for alias in entry.get("aliases") or ():
            out.setdefault(normalize_term(alias), name)
    return out


def category_of(term: str) -> str:
    """A publisher's category ('War', 'obituaries') as one of ours, or '' when it is none of them."""
    return _names().get(normalize_term(term), "")
