"""Glue for the edges: train-and-save a version, and the ranker a `Services` serves with."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from ..infra.poller import Stoppable
from ..infra.progress import SILENT, Progress
from ..serving.context import ArticleContext
from ..serving.ranking import OverlapRanker, Ranker
from ..serving.snapshot import Campaign, CatalogSnapshot
from . import artifacts
from .store import SharedVersions
from .train import Article, fit, read_corpus


def holdout_split(articles: Sequence[Article], share: float, seed: int = 0) -> tuple[list[Article], list[Article]]:
    if share <= 0 or len(articles) < 50:
        return list(articles), []
    rng = random.Random(seed)
    shuffled = list(articles)
    rng.shuffle(shuffled)
    k = int(len(shuffled) * share)
    return shuffled[k:], shuffled[:k]


def topic_accuracy(model, articles: Sequence[Article]) -> float:
    """Share of held-out articles (title + summary, no topic) whose most likely label is their topic, as a
    decision reads them (prior and embedding included)."""
    if not articles:
        return 0.0
    from .features import article_text

    texts = [article_text(ArticleContext.create("eval", title=a.title, summary=a.summary)) for a in articles]
    labels = [model.best_label(model.probs_of(t)[2]) for t in texts]
    return round(sum(label == a.topic for label, a in zip(labels, articles, strict=True)) / len(articles), 4)


def catalog_self_top1(model, campaigns: Sequence[Campaign]) -> float:
    """Share of campaigns ranked first for an article made of their own description (a sanity check)."""
    from .ranker import ModelRanker  # numpy and scipy: only where a model is used

    with_text = [c for c in campaigns if c.description]
    if not with_text:
        return 0.0
    snapshot = CatalogSnapshot.build(0, tuple(campaigns))
    ranker = ModelRanker(model)
    right = sum(
        ranker.rank(ArticleContext.create("eval", summary=c.description), snapshot.campaigns, snapshot)[0].campaign.id
        == c.id
        for c in with_text
    )
    return round(right / len(with_text), 4)


def train_version(
    models_dir: Path,
    campaigns: Sequence[Campaign],
    corpus: str | None = None,
    holdout: float = 0.1,
    embedding: bool = False,
    progress: Progress = SILENT,
) -> tuple[Path, dict]:
    """Fit on the catalog (+ corpus minus a held-out share), save a new version; (folder, metadata).

    `embedding` adds the dense-embedding opinion (needs the `adserver[embedding]` extra to train and to serve).
    """
    progress.start(4, "training")
    progress.advance(0, "reading the corpus")
    articles = read_corpus(corpus) if corpus else []
    train_set, held = holdout_split(articles, holdout)
    progress.advance(1, f"fitting on {len(campaigns)} campaigns and {len(train_set)} articles")
    result = fit(campaigns, train_set, embedding=embedding)
    info = dict(result.info)
    info["corpus"] = str(corpus) if corpus else None
    progress.advance(1, "evaluating")
    info["evaluation"] = {"catalog_self_top1": catalog_self_top1(result.model, campaigns)}
    if held:
        info["evaluation"]["holdout_articles"] = len(held)
        info["evaluation"]["holdout_topic_accuracy"] = topic_accuracy(result.model, held)
    progress.advance(1, "saving")
    path = artifacts.save(models_dir, result.model, info)
    progress.advance(1, "saved")
    return path, artifacts.read_metadata(models_dir, path.name)


def serving_ranker(settings, db=None) -> tuple[Ranker, tuple[Stoppable, ...]]:
    """(the ranker, what it refreshes in the background): the model ranker, serving the version active in SQL
    (or the models directory's, the shipped default) and the overlap baseline until there is one; without
    SQL, the overlap baseline when none is active."""
    models_dir = settings.models_path
    artifacts.seed(models_dir)
    if db is None and artifacts.active_version(models_dir) is None:
        return OverlapRanker(), ()
    from threadpoolctl import threadpool_limits

    from .feedback import RollupClickStats
    from .ranker import ModelRanker

    # One BLAS thread per web process: scoring is a few small products, and BLAS worker threads spinning
    # next to other gunicorn workers cost far more than they save.
    threadpool_limits(limits=1)

    stats = RollupClickStats(db.engine, settings.click_stats_poll_seconds) if db is not None else None
    source = SharedVersions(db, models_dir) if db is not None else None
    holder = artifacts.ModelHolder(models_dir, settings.model_poll_seconds, source)
    return ModelRanker(holder, click_stats=stats), (holder, stats) if stats is not None else (holder,)


def serving_matcher(ranker: Ranker):
    """The matcher decisions use: the shipped encoder, with the active TF-IDF model when there is one."""
    from .matcher import ModelMatcher
    from .ranker import ModelRanker

    return ModelMatcher(ranker.models if isinstance(ranker, ModelRanker) else None)
