"""`SensitiveReader`: how sure the text is that an article is in each sensitive category (`adserver.safety`).

One multinomial logistic regression on the topic reader's sentence embeddings over the sensitive categories
(their descriptions and example headlines, `data/sensitive.yaml`) and the ordinary news sections (the
descriptions and example headlines of the taxonomy's nodes that are not sensitive), fitted at start-up on that
written text only, no research data (deterministic, under a second). The article is sensitive with the
probability of all sensitive categories together; each category that holds at least `KIND_SHARE` of that
(and always the largest) is read with that confidence, the others with their own probability.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
from sklearn.linear_model import LogisticRegression

from .. import safety
from ..context import ArticleContext
from ..taxonomy import taxonomy
from .encoder import Encoder, load_encoder
from .features import article_text

SENSITIVE_NODES = frozenset({"war-and-conflict", "crime"})  # taxonomy nodes that are not ordinary news
C = 2.0  # inverse regularisation (1 to 4 read alike on bench/safety.py; higher is sharper and misses more)
KIND_SHARE = 0.25  # a category holding this share of the sensitive probability is one of the article's kinds


class SensitiveReader:
    def __init__(self, encoder: Encoder | None = None):
        self._encoder = encoder

    def fitted(self) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
        return _fitted(self._encoder or load_encoder())

    def warm(self) -> None:
        self.fitted()

    def embed(self, ctx: ArticleContext) -> np.ndarray:
        return self.fitted()[0].embed_one(article_text(ctx))

    def read(self, vector: np.ndarray) -> dict[str, float]:
        """Category -> how sure the text (its embedding, `embed`) is that the article is in it (0..1)."""
        _, names, coef, intercept = self.fitted()
        z = coef @ vector + intercept
        p = np.exp(z - z.max())
        p = (p / p.sum())[: len(names)]  # the sensitive categories come first, the ordinary sections after
        sensitive = float(p.sum())
        kinds = (p >= KIND_SHARE * sensitive) | (p == p.max())
        return {n: sensitive if kind else float(q) for n, q, kind in zip(names, p, kinds, strict=True)}


_lock = threading.Lock()


@lru_cache(maxsize=2)
def _fitted(encoder: Encoder) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
    """Fitted once per process and encoder (every app and reader of the process shares it)."""
    with _lock:
        return _fit(encoder)


def _fit(encoder: Encoder) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
    """(encoder, category names, coefficients, intercepts): one row per class, the categories first."""
    tax = taxonomy()
    cats = safety.categories()
    names = tuple(cats)
    texts, labels = [], []
    for n in names:
        for t in (cats[n]["description"], *cats[n]["examples"]):
            texts.append(t)
            labels.append(n)
    for n in tax.names:
        if n not in SENSITIVE_NODES and tax.section(n) not in SENSITIVE_NODES:
            for t in (tax.nodes[n].description, *tax.nodes[n].examples):
                texts.append(t)
                labels.append("ordinary:" + tax.section(n))
    classes = [*names, *sorted(set(labels) - set(names))]
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(encoder.embed(texts), labels)
    order = [list(clf.classes_).index(c) for c in classes]
    return encoder, names, clf.coef_[order].astype(np.float32), clf.intercept_[order].astype(np.float32)
