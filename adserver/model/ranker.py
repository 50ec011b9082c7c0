"""`ModelRanker`: the learned `Ranker`. Scores every eligible campaign with a few matrix products.

Per catalog snapshot (and model) it precomputes a `CampaignIndex`: the campaigns' TF-IDF rows, the
topic labels each one targets, and its keyword vocabulary. A decision then encodes the article once
and scores all campaigns at once; only the Scored values handed back are built per campaign.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
from scipy import sparse

from ..serving.context import ArticleContext
from ..serving.ranking import OverlapRanker, Scored
from ..serving.snapshot import Campaign, CatalogSnapshot
from ..serving.taxonomy import reported_topic
from ..serving.text import words
from .features import article_text, campaign_text
from .feedback import ClickStats, ThompsonPrior, TopicCounts, draw, thompson_prior, topic_counts
from .relevance import RelevanceModel

W_TOPIC = 1.0  # the article is about a topic the campaign targets (probability, 0..1)
W_TEXT = 0.5  # cosine similarity of article and campaign text (0..1, typically under 0.3)
W_KEYWORDS = 0.25  # share of up to MAX_HITS campaign keywords found in the article
MAX_HITS = 3
_ID = attrgetter("id")
UNRELATED_SCORE = 0.02  # below this a targeted campaign counts as unrelated (the decision skips it)
EXPLAIN_TOP = 10  # reasons in words for the best candidates; the rest carry their parts only
VARIANT_MIN_FIT = 0.1  # a hook variant must fit the article at least this well, else the default hook
MAX_RANKED = 100  # candidates handed back (best by priority tier, then score)
DECISION_RANKED = 24  # without explain: the budget gate rarely looks past the first few
DENSE_TOPICS_MAX = 50_000  # cells of the campaign x label matrix kept dense
TOPIC_FIELD_SHARE = 0.5  # how much a publisher's topic field weighs against what the text says


@dataclass
class CampaignIndex:
    """The catalog as matrices for one (snapshot version, model version)."""

    key: tuple
    ids: list[str]
    pos: dict[str, int]
    text: sparse.csc_matrix  # (campaigns, features); CSC: a request reads only the article's columns
    topics: sparse.csr_matrix | np.ndarray  # (campaigns, labels): how much each label counts as a targeted topic
    topic_vocab: dict[str, int]
    exact_topics: sparse.csc_matrix  # (campaigns, topic terms) targeted topics, as written
    kw_vocab: dict[str, int]
    keywords: sparse.csc_matrix  # (campaigns, keyword terms)
    priority: np.ndarray
    targeted: np.ndarray  # bool: has topics or keywords (untargeted ones run anywhere)
    object_ids: np.ndarray  # id() of each snapshot Campaign, sorted: rows of a candidate list without a dict loop
    object_rows: np.ndarray
    snapshot: CatalogSnapshot  # held so the object ids above stay those of live campaigns

    def rows(self, campaigns: Sequence[Campaign]) -> np.ndarray:
        """Row of each campaign in the index (by object identity, falling back to the campaign id)."""
        ids = np.fromiter(map(id, campaigns), dtype=np.int64, count=len(campaigns))
        at = np.minimum(np.searchsorted(self.object_ids, ids), len(self.object_ids) - 1)
        if len(self.object_ids) and bool((self.object_ids[at] == ids).all()):
            return self.object_rows[at]
        return np.fromiter(map(self.pos.__getitem__, map(_ID, campaigns)), dtype=np.int64, count=len(campaigns))


def column_dot(m: sparse.csc_matrix, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """m[:, cols] @ vals from the raw CSC arrays (scipy's fancy indexing costs more than the product here)."""
    n = m.shape[0]
    if not len(cols):
        return np.zeros(n, dtype=np.float32)
    starts, ends = m.indptr[cols], m.indptr[cols + 1]
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(n, dtype=np.float32)
    pos = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts, lens)
    return np.bincount(m.indices[pos], weights=m.data[pos] * np.repeat(vals, lens), minlength=n)


def _indicator(rows: Sequence[Sequence[str]]) -> tuple[sparse.csr_matrix, dict[str, int]]:
    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for terms in rows:
        cols = sorted({vocab.setdefault(t, len(vocab)) for t in terms})
        indices += cols
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), max(len(vocab), 1))), vocab


def build_index(model: RelevanceModel, snapshot: CatalogSnapshot) -> CampaignIndex:
    campaigns = snapshot.campaigns
    ids = [c.id for c in campaigns]
    text = model.encode([campaign_text(c) for c in campaigns]) if campaigns else sparse.csr_matrix((0, 1))
    n_labels = len(model.labels)
    topics = np.zeros((len(campaigns), n_labels), dtype=np.float32)
    vec_cache: dict[str, np.ndarray] = {}

    def topic_vec(topic: str) -> np.ndarray:
        if topic not in vec_cache:
            v = model.topic_vector(topic)
            if not v.any():  # a topic no label names: read its words through the classifier instead
                v = 0.5 * model.topic_probs(model.encode([topic.replace("-", " ")]))[0]
            vec_cache[topic] = v
        return vec_cache[topic]

    for i, c in enumerate(campaigns):
        for t in c.targeting.topics:
            topics[i] = np.maximum(topics[i], topic_vec(t))
    object_ids = np.array([id(c) for c in campaigns], dtype=np.int64)
    order = np.argsort(object_ids)
    exact, topic_vocab = _indicator([sorted(c.targeting.topics) for c in campaigns])
    kws, kw_vocab = _indicator([sorted(c.targeting.keywords) for c in campaigns])
    return CampaignIndex(
        key=(snapshot.version, id(snapshot), model.version, id(model)),
        ids=ids,
        pos={cid: i for i, cid in enumerate(ids)},
        text=sparse.csc_matrix(text),
        # Dense while small: a dense product of a few hundred rows beats scipy's per-call overhead.
        topics=topics if topics.size <= DENSE_TOPICS_MAX else sparse.csr_matrix(topics),
        topic_vocab=topic_vocab,
        exact_topics=sparse.csc_matrix(exact),
        kw_vocab=kw_vocab,
        keywords=sparse.csc_matrix(kws),
        priority=np.array([c.priority for c in campaigns], dtype=np.int64),
        targeted=np.array([bool(c.targeting.topics or c.targeting.keywords) for c in campaigns], dtype=bool),
        object_ids=object_ids[order],
        object_rows=order,
        snapshot=snapshot,
    )


def article_terms(ctx: ArticleContext, limit: int = 400) -> set[str]:
    """The article's keywords, topic, and the words and word pairs of its title and summary, as terms."""
    ws = (words(ctx.title) + words(ctx.summary[:4000]))[:limit]
    terms = set(ctx.keywords[:200]) | set(ws) | {f"{a}-{b}" for a, b in zip(ws, ws[1:], strict=False)}
    if ctx.topic:
        terms.add(ctx.topic)
    return terms


@dataclass(frozen=True)
class ArticleView:
    """What the model read from one article: its TF-IDF entries, topic distribution and terms."""

    cols: np.ndarray
    vals: np.ndarray
    probs: np.ndarray
    topic: str  # what its impressions are counted under: `reported_topic` of the publisher's topic or the label
    label: str
    label_p: float
    terms: frozenset[str]


@dataclass
class Prepared:
    """One article's relevance over its eligible campaigns, before the CTR term (`ModelRanker.prepare`)."""

    ctx: ArticleContext
    campaigns: Sequence[Campaign]
    idx: CampaignIndex
    view: ArticleView
    rows: np.ndarray
    topic: np.ndarray
    text: np.ndarray
    kw: np.ndarray
    rel: np.ndarray
    plain: list[Scored] | None = None  # the finished plain-decision list while no CTR term applies
    # Per-reader work done once: the CTR prior for one refresh of the click counts, and the score parts rounded.
    _prior: tuple[TopicCounts, ThompsonPrior] | None = None
    _parts: np.ndarray | None = None

    def prior(self, counts: TopicCounts) -> ThompsonPrior:
        """The contenders' CTR prior (`feedback.thompson_prior`) while `counts` are the current ones."""
        memo = self._prior
        if memo is None or memo[0] is not counts:
            sub = TopicCounts(counts.impressions[self.rows], counts.clicks[self.rows], counts.topic_ctr)
            memo = self._prior = (counts, thompson_prior(self.rel, sub))
        return memo[1]

    def parts(self) -> np.ndarray:
        """Rows topic, text and keywords of each campaign (0 where unrelated), rounded as answers show them."""
        if self._parts is None:
            related = self.rel > 0
            self._parts = np.round(np.stack((self.topic * related, self.text * related, self.kw * related)), 4)
        return self._parts


class ModelRanker:
    """The learned ranker; falls back to `OverlapRanker` while no model is loaded.

    Returns the MAX_RANKED best candidates by (priority, score) when explaining, DECISION_RANKED for a
    plain decision, best score first: the decision core serves priority tiers first, so it picks the
    same winner as from the full list unless budgets or pacing refuse every one of them.
    """

    def __init__(self, models, click_stats: ClickStats | None = None, seed: int | None = None):
        self.models = models  # anything with .get() -> RelevanceModel | None (ModelHolder), or a model
        self.click_stats = click_stats
        self.fallback = OverlapRanker()
        self._index: CampaignIndex | None = None
        self._lock = threading.Lock()
        self._local = threading.local()
        self._seed = seed
        self._counts_cache: tuple[tuple, dict[str, TopicCounts]] = ((), {})

    def model(self) -> RelevanceModel | None:
        return self.models if isinstance(self.models, RelevanceModel) else self.models.get()

    @property
    def name(self) -> str:
        """Who ranks: the model, or the overlap baseline while none is active yet."""
        return "model" if self.model() is not None else self.fallback.name

    def _rng(self) -> np.random.Generator:
        rng = getattr(self._local, "rng", None)
        if rng is None:
            rng = self._local.rng = np.random.default_rng(self._seed)
        return rng

    def index(self, model: RelevanceModel, snapshot: CatalogSnapshot) -> CampaignIndex:
        key = (snapshot.version, id(snapshot), model.version, id(model))
        idx = self._index
        if idx is None or idx.key != key:
            with self._lock:
                idx = self._index
                if idx is None or idx.key != key:
                    idx = self._index = build_index(model, snapshot)
        return idx

    def read(self, model: RelevanceModel, ctx: ArticleContext) -> ArticleView:
        """What the model reads of the article; the last read is kept per thread, because one decision asks
        up to three times (ranking, hook variant, the topic its events are counted under)."""
        last = getattr(self._local, "view", None)
        if last is not None and last[0] is ctx and last[1] is model:
            return last[2]
        cols, vals, probs = model.probs_of(article_text(ctx))
        if ctx.topic:
            tv = model.topic_vector(ctx.topic)
            if tv.any():
                probs = (1 - TOPIC_FIELD_SHARE) * probs + TOPIC_FIELD_SHARE * tv / tv.sum()
        best = int(np.argmax(probs))
        label = model.labels[best]
        counted = reported_topic(ctx.topic or label)  # as `decision.counted_context` records it
        view = ArticleView(cols, vals, probs, counted, label, float(probs[best]), frozenset(article_terms(ctx)))
        self._local.view = (ctx, model, view)
        return view

    def context_topic(self, ctx: ArticleContext) -> str:
        """The topic the model reads the article as (the publisher's, when it sent one)."""
        model = self.model()
        if ctx.topic or model is None:
            return ctx.topic
        return self.read(model, ctx).label

    def _topic_counts(self, idx: CampaignIndex, topic: str) -> TopicCounts | None:
        if self.click_stats is None:
            return None
        stats = self.click_stats.counts()
        key = (idx.key, self.click_stats.version)
        cache_key, cache = self._counts_cache
        if cache_key != key:
            cache = {}
            self._counts_cache = (key, cache)
        if topic not in cache:
            cache[topic] = topic_counts(stats, topic, idx.ids)
        return cache[topic]

    def relevance(self, idx: CampaignIndex, ctx: ArticleContext, view: ArticleView):
        """Per-campaign parts over the whole index: (topic, text, keywords) arrays."""
        topic = np.minimum(idx.topics @ view.probs.astype(np.float32, copy=False), 1.0)
        if ctx.topic and ctx.topic in idx.topic_vocab:
            exact = column_dot(idx.exact_topics, np.array([idx.topic_vocab[ctx.topic]]), np.ones(1))
            topic = np.maximum(topic, exact)
        text = column_dot(idx.text, view.cols, view.vals)
        kw_cols = np.array([idx.kw_vocab[t] for t in view.terms if t in idx.kw_vocab], dtype=np.int64)
        hits = column_dot(idx.keywords, kw_cols, np.ones(len(kw_cols)))
        return W_TOPIC * topic, W_TEXT * np.clip(text, 0, 1), W_KEYWORDS * np.minimum(hits, MAX_HITS) / MAX_HITS

    def plan_key(self) -> tuple:
        """What a cached per-article plan depends on besides the article and the catalog: this ranker's model."""
        model = self.model()
        return (self.name, id(self)) if model is None else (self.name, id(self), model.version, id(model))

    def rank(
        self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot, explain: bool = True
    ) -> list[Scored]:
        """Best candidates first; with `explain` False (a plain decision) the reasons in words are skipped."""
        if not campaigns:
            return []
        return self.finish(self.prepare(ctx, campaigns, snapshot), explain)

    def prepare(self, ctx: ArticleContext, campaigns: Sequence[Campaign], snapshot: CatalogSnapshot):
        """The per-article part of ranking: the article read once, every campaign's relevance (no CTR term)."""
        model = self.model()
        if model is None:
            return self.fallback.prepare(ctx, campaigns, snapshot)
        idx = self.index(model, snapshot)
        view = self.read(model, ctx)
        topic, text, kw = self.relevance(idx, ctx, view)
        rows = idx.rows(campaigns)
        topic, text, kw = topic[rows], text[rows], kw[rows]
        rel = topic + text + kw
        rel = np.where(idx.targeted[rows] & (rel < UNRELATED_SCORE), 0.0, rel)
        return Prepared(ctx, campaigns, idx, view, rows, topic, text, kw, rel)

    def finish(self, prepared, explain: bool = False) -> list[Scored]:
        """The per-reader part: the CTR term (a fresh Thompson draw) and the order. Without click data the
        order is fixed, so a plain decision's list is built once per prepared article."""
        if not isinstance(prepared, Prepared):
            return self.fallback.finish(prepared, explain)
        p = prepared
        final, theta = p.rel, None
        counts = self._topic_counts(p.idx, p.view.topic)
        if counts is not None and counts.any:
            final, theta = draw(p.prior(counts), p.rel, self._rng())
        elif not explain and p.plain is not None:
            return p.plain
        rows, rel = p.rows, p.rel
        limit = MAX_RANKED if explain else DECISION_RANKED
        if len(rows) > limit:  # keep the best of each priority tier first, then order by score
            keep = np.lexsort((rows, -final, -p.idx.priority[rows]))[:limit]
            keep = keep[np.lexsort((rows[keep], -final[keep]))]
        else:
            keep = np.lexsort((rows, -final))
        # Rounded as the parts are: the final score (never below 0) and the CTR term.
        t_, x_, k_ = p.parts()[:, keep].tolist()
        f_ = np.maximum(np.round(final[keep], 4), 0.0).tolist()
        c_ = np.round(final[keep] - rel[keep], 4).tolist()
        out = []
        for pos, j in enumerate(keep.tolist()):
            c = p.campaigns[j]
            parts = {"topic": t_[pos], "text": x_[pos]}
            if k_[pos]:
                parts["keywords"] = k_[pos]
            if theta is not None:
                parts["ctr"] = c_[pos]
            reasons = (
                self._reasons(c, parts, p.view, p.ctx, counts, theta, j, rows) if explain and pos < EXPLAIN_TOP else ()
            )
            out.append(Scored(c, f_[pos], parts, reasons))
        if theta is None and not explain:
            p.plain = out
        return out

    def _reasons(self, c, parts, view, ctx, counts, theta, j, rows) -> tuple[str, ...]:
        r = []
        # The ranking model's own label, named as such: the match's confidence is the matcher's (one number each).
        read = f"the ranking model labels it '{view.label}'"
        if ctx.topic:
            read = f"publisher topic '{ctx.topic}'; " + read
        if parts["topic"] > 0:
            r.append(f"topic match {parts['topic']:.2f}: {read}; targets {', '.join(sorted(c.targeting.topics))}")
        else:
            r.append(f"no topic match: {read}")
        r.append(f"text similarity {parts['text']:.2f} with the campaign's description and creative")
        if "keywords" in parts:
            hits = sorted(c.targeting.keywords & view.terms)[:5]
            r.append(f"keywords hit {parts['keywords']:.2f}: " + ", ".join(hits))
        if theta is not None:
            i = int(rows[j])
            imps, clicks = counts.impressions[i], counts.clicks[i]
            r.append(
                f"CTR term {parts['ctr']:+.2f}: {int(clicks)} clicks in {int(imps)} impressions on '{view.topic}' "
                f"(topic average {counts.topic_ctr:.2%}); sampled CTR {theta[j]:.2%} (exploration)"
            )
        r.append(f"priority tier {c.priority} (higher tiers are served first); pacing {c.pacing}")
        return tuple(r)

    def variant_topic(self, ctx: ArticleContext, campaign: Campaign) -> str:
        """The hook-variant key that fits the article best (its topic labels plus the words of key and hook)."""
        keys = {k for cr in campaign.creatives for k in cr.hook_variants}
        if not keys or (ctx.topic and ctx.topic in keys):
            return ctx.topic
        model = self.model()
        if model is None:
            return ctx.topic
        view = self.read(model, ctx)
        best_key, best = ctx.topic, VARIANT_MIN_FIT
        for key, vec, row in self._variant_vectors(model, campaign):
            fit = float(vec @ view.probs) + (float(row[view.cols] @ view.vals) if view.cols.size else 0.0)
            if fit > best:
                best_key, best = key, fit
        return best_key

    def _variant_vectors(self, model: RelevanceModel, campaign: Campaign) -> list[tuple[str, np.ndarray, np.ndarray]]:
        cache = self.__dict__.setdefault("_variant_cache", {})
        key = (campaign.id, id(campaign), id(model))
        if key not in cache:
            texts: dict[str, list[str]] = {}
            for cr in campaign.creatives:
                for k, hook in cr.hook_variants.items():
                    texts.setdefault(k, [k.replace("-", " ")]).append(hook)
            out = []
            for k in sorted(texts):
                row = np.asarray(model.encode([" ".join(texts[k])]).todense()).ravel()
                out.append((k, model.topic_vector(k), row))
            if len(cache) > 10000:
                cache.clear()
            cache[key] = out
        return cache[key]
