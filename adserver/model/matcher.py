"""`ModelMatcher`: what an article is about, read from its text, on the taxonomy's nodes.

The sentence encoder (`encoder.py`) embeds the article once. A logistic regression fitted on the taxonomy's
own descriptions and example headlines gives P(news section); the cosine to each node's centroid (its
description, examples, and the IAB Content Taxonomy and topic primer lines filed under it) says where inside
the section. When the active TF-IDF model was trained on the publisher's own archive (`adserver model train
--corpus`), its topic probabilities (labels mapped onto nodes) are mixed in as a geometric mean. A node's
confidence is the probability of the node and everything below it. The rules that turn confidences into
eligibility are `targeting.fit`'s; this module only reads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from ..infra.memo import LRU
from ..serving import safety
from ..serving.context import ArticleContext
from ..serving.matching import Fit, TopicTargets, fit
from ..serving.snapshot import Campaign
from ..serving.taxonomy import Taxonomy, taxonomy
from ..serving.text import normalize_term
from .encoder import NAME as ENCODER
from .encoder import Encoder, load_encoder
from .features import article_text, iab_nodes, label_of, primer
from .relevance import RelevanceModel
from .sensitive import SensitiveReader
from .tone import ToneReader

SHARPNESS = 20.0  # softmax(SHARPNESS x cosine to each node's centroid), within its section
SECTION_C = 2.0  # the section classifier's inverse regularisation (1 to 4 read alike on the evaluation)
TERM_MEANING = 0.55  # an unknown topic string maps to the node whose description it is this close to
TERMS_CACHED = 10_000
EMBEDDED_CACHED = 64  # articles: only the last few are read again (safety and tone, then topic, within one plan)


@dataclass(frozen=True)
class Reading:
    """One article on the taxonomy: its declared node, P(node) from the text, and its embedding."""

    declared: str
    probs: np.ndarray  # (nodes,) sums to 1
    about: np.ndarray  # (nodes,) probability of the node or any node below it
    vector: np.ndarray  # the article's embedding (keyword meaning)

    def best(self, names: Sequence[str]) -> tuple[str, float]:
        i = int(np.argmax(self.probs))
        return names[i], float(self.about[i])


@dataclass(frozen=True)
class _Vectors:
    """The encoder and the taxonomy in its space: built once per process."""

    encoder: Encoder
    centroids: np.ndarray  # (nodes, dim) L2-normalised
    descriptions: np.ndarray  # (nodes, dim)
    below: np.ndarray  # (nodes, nodes)
    section_of: np.ndarray  # (nodes,) index of each node's news section
    coef: np.ndarray  # (sections, dim) the section classifier
    intercept: np.ndarray  # (sections,)


class ModelMatcher:
    """The serving `Matcher`: the taxonomy, the encoder and (optionally) the active TF-IDF model."""

    def __init__(self, models=None, encoder: Encoder | None = None, tax: Taxonomy | None = None):
        self.models = models  # ModelHolder (anything with .get()), a RelevanceModel, or None
        self.tax = tax or taxonomy()
        self._encoder = encoder
        self._vectors: _Vectors | None = None  # built on first use or by `warm` (CLI commands never pay)
        self._terms: LRU[str, str] = LRU(TERMS_CACHED)
        self._keywords: LRU[tuple, np.ndarray] = LRU(TERMS_CACHED)
        self._label_maps: dict[tuple, np.ndarray] = {}
        self._lock = threading.Lock()
        self.sensitive = SensitiveReader(encoder)
        self.tone = ToneReader(encoder)
        # An article's text -> its embedding and its headline's: read up to three times per plan.
        self._embedded: LRU[str, tuple[np.ndarray, np.ndarray]] = LRU(EMBEDDED_CACHED)

    def warm(self) -> None:
        """Load the encoder, embed the taxonomy, fit the safety and tone readers and load the active model (from
        SQL or the models directory) now, not in some reader's first decision."""
        self.vectors()
        self.model()
        self.sensitive.warm()
        self.tone.warm()

    def annotate(self, ctx: ArticleContext, sentiment: bool, categories: bool) -> ArticleContext:
        return safety.annotate(ctx, sentiment, self.read_categories if categories else None, self.read_tone)

    def read_tone(self, ctx: ArticleContext) -> dict[str, float]:
        """Tone -> probability, from the article's embedding and its headline's (shared with its other readings)."""
        vector, headline = self._embedding(article_text(ctx))
        return self.tone.read(vector, headline, " . ".join(x for x in (ctx.title, ctx.summary) if x))

    def read_categories(self, ctx: ArticleContext) -> dict[str, float]:
        """Sensitive category -> confidence, from the article's embedding (shared with its topic reading)."""
        text = article_text(ctx)
        return self.sensitive.read(self.embed(text), text)

    def embed(self, text: str) -> np.ndarray:
        """The article's embedding: the safety, tone and topic readings of one plan share it."""
        return self._embedding(text)[0]

    def _embedding(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        got = self._embedded.get(text)
        if got is None:
            head = text.find(" . ")  # `article_text` puts the title first, then " . " before the summary
            got = self.vectors().encoder.embed_head(text, head if head >= 0 else len(text))
            self._embedded.put(text, got)
        return got

    def vectors(self) -> _Vectors:
        v = self._vectors
        if v is None:
            with self._lock:
                v = self._vectors
                if v is None:
                    v = self._vectors = self._build()
        return v

    @property
    def encoder(self) -> Encoder:
        return self.vectors().encoder

    def _build(self) -> _Vectors:
        encoder = self._encoder or load_encoder()
        names = self.tax.names
        # below[i, j] = 1 when node j is node i or below it: about = below @ probs
        below = np.zeros((len(names), len(names)), dtype=np.float32)
        for j, n in enumerate(names):
            for a in self.tax.ancestors(n):  # a desk apart (crime) still reads toward its parent's section
                below[self.tax.index[a], j] = 1.0
        descriptions = encoder.embed([self.tax.nodes[n].description for n in names])
        sections = tuple(dict.fromkeys(self.tax.section(n) for n in names))
        section_of = np.array([sections.index(self.tax.section(n)) for n in names])
        coef, intercept = self._section_classifier(encoder, sections)
        return _Vectors(encoder, self._centroids(encoder), descriptions, below, section_of, coef, intercept)

    def _section_classifier(self, encoder: Encoder, sections: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """A logistic regression from an article's embedding to its news section, fitted on the taxonomy's own
        descriptions and example headlines (deterministic). It orders articles by how sure they are
        better than the centroids do; the centroids then say where inside the section."""
        texts, labels = [], []
        for n in self.tax.names:
            node = self.tax.nodes[n]
            for t in (node.description, *node.examples):
                texts.append(t)
                labels.append(sections.index(self.tax.section(n)))
        clf = LogisticRegression(C=SECTION_C, max_iter=5000).fit(encoder.embed(texts), labels)
        coef = np.zeros((len(sections), encoder.dim), dtype=np.float32)
        intercept = np.full(len(sections), -1e4, dtype=np.float32)  # a section without text: never read
        coef[clf.classes_] = clf.coef_
        intercept[clf.classes_] = clf.intercept_
        return coef, intercept

    def _centroids(self, encoder: Encoder) -> np.ndarray:
        tax = self.tax
        texts, rows = [], []
        for n in tax.names:
            node = tax.nodes[n]
            for t in (node.description, *node.examples):
                texts.append(t)
                rows.append(tax.index[n])
        for path in iab_nodes():
            node = tax.resolve(normalize_term(path[0]))
            if node:
                texts.append(" . ".join(path))
                rows.append(tax.index[node])
        for label, lines in primer().items():
            node = tax.resolve(label)
            for line in lines if node else ():
                texts.append(line)
                rows.append(tax.index[node])
        x = encoder.embed(texts)
        c = np.zeros((len(tax.names), x.shape[1]), dtype=np.float32)
        np.add.at(c, np.asarray(rows), x)
        return c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-9)

    def model(self) -> RelevanceModel | None:
        m = self.models
        return m if m is None or isinstance(m, RelevanceModel) else m.get()

    def plan_key(self) -> tuple:
        m = self.model()
        return ("reader", ENCODER) if m is None else ("reader", ENCODER, m.version, id(m))

    # --- reading ---------------------------------------------------------------------------------------

    def node_of(self, term: str) -> str:
        """A topic string's node: by name or alias, else by meaning (its words close to a description), else ''."""
        node = self.tax.resolve(term)
        if node or not term:
            return node
        got = self._terms.get(term)
        if got is None:
            v = self.vectors()
            cos = v.descriptions @ v.encoder.embed_one(term.replace("-", " "))
            best = int(np.argmax(cos))
            got = self.tax.names[best] if cos[best] >= TERM_MEANING else ""
            self._terms.put(term, got)
        return got

    def _label_map(self, model) -> np.ndarray:
        """(model labels, nodes): where each of the TF-IDF model's labels lands on the taxonomy."""
        key = (model.version, id(model))
        m = self._label_maps.get(key)
        if m is None:
            m = np.zeros((len(model.labels), len(self.tax.names)), dtype=np.float32)
            for i, label in enumerate(model.labels):
                node = self.tax.resolve(label) or self.tax.resolve(label_of(model.leaf_map.get(label, "")))
                if node:
                    m[i, self.tax.index[node]] = 1.0
            with self._lock:
                self._label_maps = {key: m}
        return m

    def read(self, ctx: ArticleContext) -> Reading:
        text = article_text(ctx)
        v = self.vectors()
        vector = self.embed(text)
        # P(section) from the classifier, times P(node | its section) from the centroids.
        z = v.coef @ vector + v.intercept
        section = np.exp(z - z.max())
        section /= section.sum()
        z = SHARPNESS * (v.centroids @ vector)
        p = np.exp(z - z.max())
        within = np.bincount(v.section_of, weights=p, minlength=len(section))
        p = section[v.section_of] * p / np.maximum(within[v.section_of], 1e-12)
        model = self.model()
        if model is not None and model.prior is not None:
            # A model trained on the publisher's own archive (`--corpus`) knows its outlet: a second opinion.
            # The shipped catalog-only model is not mixed in: it made the reading worse (bench/relevance.py).
            q = model.probs_of(text)[2] @ self._label_map(model)
            total = float(q.sum())
            if total > 0:
                p = np.sqrt(p * (q / total))
        p /= max(float(p.sum()), 1e-12)
        declared = self.node_of(ctx.topic)
        return Reading(declared, p, v.below @ p, vector)

    def fits(self, ctx: ArticleContext, campaigns: Sequence[Campaign], misses: bool = True) -> list[Fit | None]:
        if not campaigns:
            return []
        reading = self.read(ctx)
        text_words = ctx.text_words()
        names, index = self.tax.names, self.tax.index
        about = reading.about.tolist()  # Python floats: one lookup per targeted topic below
        own = reading.probs.tolist()
        seen: dict[int, tuple[str, float]] = {}  # campaigns targeting the same topics read the same

        def read(c: Campaign, tt: TopicTargets) -> tuple[str, float]:
            # Confidence: the best subtree ("robotics" articles are "technology" articles). Named: the targeted
            # topic most likely on its own, so the hook speaks to robots rather than to technology at large.
            got = seen.get(id(tt))
            if got is None:
                best, p, named = "", -1.0, -1.0
                for topic, node in zip(tt.topics, tt.nodes, strict=True):
                    node = node or self.node_of(topic)  # a topic the table does not know: by meaning
                    if node:
                        i = index[node]
                        p = max(p, about[i])
                        if own[i] > named:
                            best, named = topic, own[i]
                got = seen[id(tt)] = (best, p) if best else (reading.best(names)[0], 0.0)
            return got

        def closeness(c: Campaign) -> float:
            key = tuple(sorted(c.targeting.keywords))
            v = self._keywords.get(key)
            if v is None:
                v = self.encoder.embed_one(" ".join(k.replace("-", " ") for k in key))
                self._keywords.put(key, v)
            return float(v @ reading.vector)

        top = reading.best(names)  # what the article is about: a miss names it, a keyword beside topics defers to it
        return [fit(c, ctx, reading.declared, text_words, read, closeness, misses, top) for c in campaigns]
