"""The topic taxonomy: one vocabulary for what an article is about (`data/taxonomy.yaml`).

A publisher's section name and a campaign's targeted topic both land on a node: by name, by alias
("uk-politics" and "elections" are politics, "Sports" and "football" reach sport) or, for a string the table
does not know, by meaning (`adserver.model.matcher`). A campaign that targets a node matches an article about
that node or anything below it: `football` articles are `sport` articles, not the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from .text import normalize_term


@dataclass(frozen=True)
class Node:
    name: str
    parent: str
    aliases: tuple[str, ...]
    iab: tuple[str, ...]
    description: str
    examples: tuple[str, ...]
    apart: bool = False  # a desk of its own: its parent's campaigns do not reach it (crime under politics)


class Taxonomy:
    def __init__(self, nodes: dict[str, Node]):
        self.nodes = nodes
        self.names = tuple(nodes)
        self.index = {n: i for i, n in enumerate(self.names)}
        self._alias: dict[str, str] = {}
        for node in nodes.values():
            for term in (node.name, *node.aliases, *(normalize_term(x) for x in node.iab)):
                owner = self._alias.setdefault(term, node.name)
                if owner != node.name:
                    raise ValueError(f"taxonomy: '{term}' names both {owner} and {node.name}")
            if node.parent and node.parent not in nodes:
                raise ValueError(f"taxonomy: {node.name}'s parent {node.parent} is not a node")
        self._ancestors = {name: self._walk_up(name) for name in nodes}
        below: dict[str, set[str]] = {name: set() for name in nodes}
        for name, chain in self._ancestors.items():
            for a in chain:
                below[a].add(name)
                if nodes[a].apart:
                    break
        self._below = {name: frozenset(v) for name, v in below.items()}

    def resolve(self, term: str) -> str:
        """The node a normalised term names (itself, an alias or an IAB tier-1 name), or ''."""
        if not term:
            return ""
        node = self._alias.get(term)
        if node is None and term.endswith("s"):  # "elections", "markets": a plural of a known term
            node = self._alias.get(term[:-1])
        return node or ""

    def ancestors(self, name: str) -> tuple[str, ...]:
        """The node and its parents up to its news section, nearest first."""
        return self._ancestors[name]

    def below(self, name: str) -> frozenset[str]:
        """The node and every node under it."""
        return self._below[name]

    def _walk_up(self, name: str) -> tuple[str, ...]:
        out = [name]
        while self.nodes[out[-1]].parent:
            out.append(self.nodes[out[-1]].parent)
            if len(out) > len(self.nodes):
                raise ValueError(f"taxonomy: a cycle through {name}")
        return tuple(out)

    def section(self, name: str) -> str:
        return self.ancestors(name)[-1]

    def covers(self, target: str, node: str) -> bool:
        """An article about `node` is about `target` when `target` is the node or an ancestor it is not apart from."""
        return node in self._below[target]


@cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy, read once per process."""
    raw = yaml.safe_load(resources.files(__package__).joinpath("data/taxonomy.yaml").read_text(encoding="utf-8"))
    return Taxonomy(
        {
            name: Node(
                name=name,
                parent=d.get("parent") or "",
                aliases=tuple(normalize_term(a) for a in d.get("aliases") or ()),
                iab=tuple(d.get("iab") or ()),
                description=" ".join(d["description"].split()),
                examples=tuple(str(x) for x in d.get("examples") or ()),
                apart=bool(d.get("apart")),
            )
            for name, d in raw.items()
        }
    )


OTHER = "other"  # what impressions of an article about no known topic are counted and reported under


def reported_topic(topic: str) -> str:
    """The topic an impression is counted, reported and learned under: the taxonomy node that `topic` (the
    publisher's, or the one a model reads) names, else `other`. A publisher's free text ('+1+1', a made-up
    section) never reaches an advertiser's report; '' stays '' (no topic at all)."""
    return (taxonomy().resolve(topic) or OTHER) if topic else ""
