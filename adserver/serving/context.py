"""The article context a decision is made for, normalised once at the edge."""

from __future__ import annotations

from dataclasses import dataclass

from .categories import category_of
from .text import normalize_term, words


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
    # Per request, from the reader's request (not the article): never part of `content_key`.
    device: str = ""  # mobile | tablet | desktop ('' unknown), from the User-Agent
    country: str = ""  # ISO 3166-1 alpha-2 ('' unknown), from `geo.country`
    site: str = ""  # the page's site id (`sites.page`); '' the implicit `default`
    unknown_page: bool = False  # its host is none of its site's domains: served, never billed
    # Sensitive categories (`safety`): the publisher's; once the article is read, also those read from its text.
    categories: tuple[str, ...] = ()
    # Filled by reading the article (`safety.annotate`), with its plan: derived from the content, not in its key.
    sentiment_read: bool = False  # the sentiment was read from the text (`sentiment` '' when below the floor)
    sentiment_confidence: tuple[tuple[str, float], ...] = ()  # how sure the reading is of each tone
    category_confidence: tuple[tuple[str, float], ...] = ()  # how sure the reading is of each category

    @classmethod
    def create(cls, placement: str, site: str = "", unknown_page: bool = False, **article) -> ArticleContext:
        seen: dict[str, None] = {}
        for k in article.get("keywords") or ():
            t = normalize_term(k)
            if t:
                seen.setdefault(t, None)
        categories = sorted({c for c in map(category_of, article.get("categories") or ()) if c})
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
            categories=tuple(categories),
            site=site,
            unknown_page=unknown_page,
        )

    @property
    def content_key(self) -> tuple:
        """Everything eligibility and ranking read: two readers of one article page share it (reader, id, url
        and source are recorded with the events but do not change which card fits)."""
        return (
            self.placement,
            self.title,
            self.topic,
            self.keywords,
            self.summary,
            self.sentiment,
            self.language,
            self.categories,
        )

    @property
    def sentiment_source(self) -> str:
        """Where its sentiment came from: sent (by the publisher), read (from the text) or none."""
        return "read" if self.sentiment_read else "sent" if self.sentiment else "none"

    def text_words(self) -> set[str]:
        """Words of the title and summary, for phrase checks and text similarity."""
        return set(words(self.title)) | set(words(self.summary))
