"""`SensitiveReader`: how sure the text is that an article is in each sensitive category (`adserver.safety`).

One logistic regression per category on the topic reader's sentence embeddings, fitted at start-up on the
category's own description and example headlines (`data/sensitive.yaml`) against ordinary news: the
descriptions and example headlines of the taxonomy's nodes that are not sensitive. Written text only, no
research data; deterministic (~0.1 s). Reading an article is one (categories x 256) product.
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
C = 4.0  # inverse regularisation: few examples per category, so not much


class SensitiveReader:
    def __init__(self, encoder: Encoder | None = None):
        self._encoder = encoder

    def fitted(self) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
        return _fitted(self._encoder or load_encoder())

    def warm(self) -> None:
        self.fitted()

    def read(self, ctx: ArticleContext) -> dict[str, float]:
        """Category -> how sure the text is that the article is in it (0..1)."""
        encoder, names, coef, intercept = self.fitted()
        z = coef @ encoder.embed_one(article_text(ctx)) + intercept
        p = 1.0 / (1.0 + np.exp(-z))
        return dict(zip(names, p.tolist(), strict=True))


_lock = threading.Lock()


@lru_cache(maxsize=2)
def _fitted(encoder: Encoder) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
    """Fitted once per process and encoder (every app and reader of the process shares it)."""
    with _lock:
        return _fit(encoder)


def _fit(encoder: Encoder) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
    tax = taxonomy()
    ordinary = [
        t
        for n in tax.names
        if n not in SENSITIVE_NODES and tax.section(n) not in SENSITIVE_NODES
        for t in (tax.nodes[n].description, *tax.nodes[n].examples)
    ]
    cats = safety.categories()
    names = tuple(cats)
    texts = {n: [cats[n]["description"], *cats[n]["examples"]] for n in names}
    negatives = encoder.embed(ordinary)
    coef = np.zeros((len(names), encoder.dim), dtype=np.float32)
    intercept = np.zeros(len(names), dtype=np.float32)
    for i, n in enumerate(names):
        positives = encoder.embed(texts[n])
        x = np.vstack([positives, negatives])
        y = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(x, y)
        coef[i], intercept[i] = clf.coef_[0], clf.intercept_[0]
    return encoder, names, coef, intercept
