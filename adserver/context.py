"""The article context a decision is made for, normalised once at the edge."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .errors import InvalidContext
from .text import normalize_term, words


def check_placement(placement: str, placements: Collection[str]) -> None:
    """The API and the CLI refuse a placement the publisher did not configure the same way."""
    if placement not in placements:
        raise InvalidContext(
            f"unknown placement {placement!r}", {"placement": [f"Must be one of: {', '.join(placements)}."]}
        )


@dataclass(frozen=True)
class ArticleContext:
    placement: str
    title: str = ""
    topic: str = ""  # normalised: "artificial-intelligence"
    keywords: tuple[str, ...] = ()  # normalised, deduplicated, in the publisher's order
    summary: str = ""
    sentiment: str = ""
    source: str = ""
    language: str = ""
    article_id: str = ""
    url: str = ""
    reader: str = ""  # publisher-provided anonymous id (frequency caps), never a cookie of ours

    @classmethod
    def create(cls, placement: str, **article) -> ArticleContext:
        seen: dict[str, None] = {}
        for k in article.get("keywords") or ():
            t = normalize_term(k)
            if t:
                seen.setdefault(t, None)
        return cls(
            placement=placement,
            title=(article.get("title") or "").strip(),
            topic=normalize_term(article.get("topic") or ""),
            keywords=tuple(seen),
            summary=(article.get("summary") or "").strip(),
            sentiment=(article.get("sentiment") or "").lower(),
            source=article.get("source") or "",
            language=(article.get("language") or "").lower().split("-")[0],
            article_id=article.get("id") or "",
            url=article.get("url") or "",
            reader=article.get("reader") or "",
        )

    @property
    def content_key(self) -> tuple:
        """Everything eligibility and ranking read: two readers of one article page share it (reader, id, url
        and source are recorded with the events but do not change which card fits)."""
        return (self.placement, self.title, self.topic, self.keywords, self.summary, self.sentiment, self.language)

    def text_words(self) -> set[str]:
        """Words of the title and summary, for phrase checks and text similarity."""
        return set(words(self.title)) | set(words(self.summary))
