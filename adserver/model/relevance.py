"""The fitted relevance model: a TF-IDF encoder and a topic classifier over a label space.

Both the article and the campaigns are read through the same encoder; the classifier projects an
article onto topic labels, so an article without a topic field still lands on the topics a campaign targets.
Weights are kept as float32 arrays (small artifact, fast scoring), not as the estimator objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .embedding import EmbeddingTopics
from .features import iab_leaf_labels, topic_label_weights


@dataclass
class RelevanceModel:
    encoder: TfidfVectorizer
    labels: tuple[str, ...]
    coef: np.ndarray  # (n_features, n_labels) float32
    intercept: np.ndarray  # (n_labels,) float32
    leaf_map: dict[str, str] = field(default_factory=iab_leaf_labels)
    version: str = ""
    # A second opinion from the catalog and base text alone (mixed in when a corpus trained the main one):
    # it keeps vocabulary the corpus never saw, which matters for articles unlike the corpus.
    prior: RelevanceModel | None = None
    prior_share: float = 0.0
    prior_labels: np.ndarray | None = None  # position of each prior label in `labels`
    # Optional dense-embedding opinion (the `embedding` extra): label centroids that reweigh the probabilities.
    embedding: EmbeddingTopics | None = None

    def probs_of(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(feature indices, TF-IDF values, P(label | text)) for one text, the prior and the embedding mixed in."""
        cols, vals = self.encode_one(text)
        probs = self.topic_probs_one(cols, vals)
        if self.prior is not None and self.prior_share > 0:
            pc, pv = self.prior.encode_one(text)
            mixed = np.zeros_like(probs)
            mixed[self.prior_labels] = self.prior.topic_probs_one(pc, pv)
            probs = (1 - self.prior_share) * probs + self.prior_share * mixed
        if self.embedding is not None:
            probs = self.embedding.reweigh(probs, text)
        return cols, vals, probs

    def encode(self, texts: list[str]) -> sparse.csr_matrix:
        """L2-normalised TF-IDF rows."""
        return self.encoder.transform(texts).astype(np.float32)

    def encode_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text as (feature indices, L2-normalised TF-IDF values): the request path, without sklearn's checks.

        Same result as `encode` (sublinear tf x idf, l2 norm) for the vectoriser `train.fit` builds.
        """
        fast = self.__dict__.get("_fast")
        if fast is None:  # built once per process; one assignment, so concurrent requests see all or nothing
            fast = self.__dict__["_fast"] = (
                self.encoder.build_analyzer(),
                self.encoder.vocabulary_,
                self.encoder.idf_.astype(np.float32),
            )
        analyzer, vocab, idf = fast
        counts: dict[int, int] = {}
        for tok in analyzer(text):
            j = vocab.get(tok)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        vals = (1.0 + np.log(tf)) * idf[cols]
        vals /= np.linalg.norm(vals)
        return cols, vals

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def topic_probs_one(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """P(label | text) for one encoded text."""
        z = vals @ self.coef[cols] + self.intercept
        z = np.exp(z - z.max())
        return z / z.sum()

    def topic_probs(self, x: sparse.csr_matrix) -> np.ndarray:
        """P(label | text) for each row (softmax of the linear classifier; training and indexing, no prior)."""
        z = np.asarray(x @ self.coef) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def topic_vector(self, topic: str) -> np.ndarray:
        """Which labels count as this targeted topic (weights in 0..1); cached per topic (read-only arrays)."""
        cache = self.__dict__.setdefault("_topic_vectors", {})
        v = cache.get(topic)
        if v is None:
            v = np.zeros(len(self.labels), dtype=np.float32)
            for label, w in topic_label_weights(topic, self.labels, self.leaf_map).items():
                v[self.labels.index(label)] = w
            v.setflags(write=False)
            if len(cache) > 10000:
                cache.clear()
            cache[topic] = v
        return v

    def best_label(self, probs: np.ndarray) -> str:
        return self.labels[int(np.argmax(probs))]
