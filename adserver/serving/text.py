"""Text normalisation shared by targeting, ranking and the model: one definition of a 'term'."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_SEP = re.compile(r"[^a-z0-9+#]+")  # anything else separates words
_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*")  # hyphens split: "AI-powered" -> ai, powered


def normalize_term(term: object) -> str:
    """'Artificial Intelligence' -> 'artificial-intelligence', 'Tech & Computing' -> 'tech-computing';
    accents folded, case-insensitive; the result holds only a-z, 0-9, '+', '#' and '-'."""
    s = unicodedata.normalize("NFKD", str(term)).encode("ascii", "ignore").decode().lower().strip()
    return _SEP.sub("-", s).strip("-")


def words(text: str | None) -> list[str]:
    """Lower-case word tokens of free text (titles, summaries)."""
    if not text:
        return []
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _WORD.findall(s)


def term_words(term: str) -> list[str]:
    """Words inside a normalised term: 'physical-ai' -> ['physical', 'ai']."""
    return [w for w in term.split("-") if w]


Phrases = dict[str, tuple[tuple[str, tuple[str, ...]], ...]]  # first word -> (term, all its words)


@lru_cache(maxsize=65536)
def phrase_index(terms: frozenset[str]) -> Phrases:
    """Normalised terms filed under their first word, for `phrases_in`."""
    by_first: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for term in terms:
        parts = tuple(term_words(term))
        if parts:
            by_first.setdefault(parts[0], []).append((term, parts))
    return {w: tuple(v) for w, v in by_first.items()}


def phrases_in(index: Phrases, text_words: Iterable[str] | set[str]) -> set[str]:
    """The terms whose every word is among the text's words ("is this phrase in the text", in one place). The
    cost follows the text's words, not the number of terms: many keywords cost a new article no more than few."""
    seen = text_words if isinstance(text_words, set | frozenset) else set(text_words)
    return {term for word in seen for term, parts in index.get(word, ()) if all(p in seen for p in parts)}
