"""An article as a decision read it: what the forecast matches topics, keywords and exclusions against. Its
content only (what the publisher sent and the topic, tone and categories read from it), never its readers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from ..serving.context import ArticleContext


@dataclass(frozen=True)
class Reading:
    topic: str  # the publisher's, normalised ('' none)
    counted: str  # the topic its decisions are counted under (`taxonomy.reported_topic`: the publisher's or read)
    keywords: tuple[str, ...] = ()
    title: str = ""
    summary: str = ""
    language: str = ""
    sentiment: str = ""  # sent, or read when some campaign excluded a tone
    categories: tuple[str, ...] = ()  # sent, or read when some campaign or site excluded one

    @classmethod
    def of(cls, ctx: ArticleContext, counted: str) -> Reading:
        """The reading of a plan's article (`Plan.ctx`, read for the exclusions the catalog had then)."""
        return cls(
            ctx.topic, counted, ctx.keywords, ctx.title, ctx.summary, ctx.language, ctx.sentiment, ctx.categories
        )

    @classmethod
    def from_dict(cls, d: dict) -> Reading:
        return cls(**{**d, "keywords": tuple(d.get("keywords") or ()), "categories": tuple(d.get("categories") or ())})

    def encoded(self) -> tuple[str, bytes]:
        """(id, JSON): the id is a digest of the content, so one article read the same way is one id in every
        process."""
        raw = orjson.dumps(self)  # a dataclass: its fields, in order
        return hashlib.blake2b(raw, digest_size=12).hexdigest(), raw

    def context(self, site: str, placement: str) -> ArticleContext:
        """The article as the eligibility and matching rules take it. Without the publisher's topic, the topic
        read from the text stands in as if the publisher had sent it (the forecast reads no text itself)."""
        return ArticleContext(
            placement=placement,
            title=self.title,
            topic=self.topic or self.counted,
            keywords=self.keywords,
            summary=self.summary,
            sentiment=self.sentiment,
            language=self.language,
            categories=self.categories,
            site=site,
        )
