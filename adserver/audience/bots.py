"""Who is asking, from the User-Agent: a known bot or crawler, or a person's browser (its kind: `devices`).

The User-Agent is the client's to choose, up to the server's header limit, so the work done on it is
bounded: only its first `CLASSIFIED_CHARS` characters are read, the cache is keyed by those, and
`crawlerdetect`'s list (1,500 patterns) is matched by RE2, whose time is linear in the text. With
Python's backtracking `re` the same list took seconds on a few thousand letters, stalling a worker.
"""

from __future__ import annotations

import re
from functools import lru_cache

import re2

CLASSIFIED_CHARS = 512  # real browsers' and crawlers' agents are far shorter; a bot name sits near the start
CACHE_SIZE = 8192  # x 512 characters at most: a few MB


class _Matcher:
    """crawlerdetect's exclusions and crawler patterns, compiled for RE2. The few patterns RE2 cannot
    take (lookarounds, e.g. `Yandex(?!Search)`) start with a literal and go to `re` over the capped text."""

    def __init__(self):
        from crawlerdetect.providers.crawlers import data as crawlers  # the maintained list
        from crawlerdetect.providers.exclusions import data as exclusions

        options = re2.Options()
        options.case_sensitive = False
        options.log_errors = False
        options.max_mem = 64 << 20
        linear = [p for p in crawlers if _re2_accepts(p, options)]
        other = [p for p in crawlers if p not in set(linear)]
        self.exclusions = re2.compile("|".join(exclusions), options)
        self.crawlers = re2.compile("|".join(linear), options)
        self.other = re.compile("|".join(other), re.IGNORECASE) if other else None

    def is_crawler(self, user_agent: str) -> bool:
        # As crawlerdetect: remove the known browser parts, then look for a crawler's name in what is left.
        agent = self.exclusions.sub("", user_agent).strip()
        if not agent:
            return False
        if self.crawlers.search(agent) is not None:
            return True
        return self.other is not None and self.other.search(agent) is not None


def _re2_accepts(pattern: str, options) -> bool:
    try:
        re2.compile(pattern, options)
    except re2.error:
        return False
    return True


@lru_cache(maxsize=1)
def _matcher() -> _Matcher:
    return _Matcher()


def capped(user_agent: str) -> str:
    return user_agent[:CLASSIFIED_CHARS]


def is_bot(user_agent: str) -> bool:
    return _is_bot(capped(user_agent))


@lru_cache(maxsize=CACHE_SIZE)
def _is_bot(user_agent: str) -> bool:
    return bool(user_agent.strip()) and _matcher().is_crawler(user_agent)
