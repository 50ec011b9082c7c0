"""Text normalisation shared by targeting, ranking and the model: one definition of a 'term'."""

from __future__ import annotations

import re
import unicodedata

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
