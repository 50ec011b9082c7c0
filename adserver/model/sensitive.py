"""`SensitiveReader`: how sure the text is that an article is in each sensitive category (`adserver.serving.safety`).

One multinomial logistic regression on the topic reader's sentence embeddings over the sensitive categories
(their descriptions and example headlines, `data/sensitive.yaml`) and the ordinary news sections (the
descriptions and example headlines of the taxonomy's nodes that are not sensitive), fitted at start-up on that
written text only, no research data (deterministic, under a second). The article is sensitive with the
probability of all sensitive categories together; each category that holds at least `KIND_SHARE` of that
(and always the largest) is read with that confidence, the others with their own probability.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from importlib import resources

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression

from ..serving import categories
from ..serving.context import ArticleContext
from ..serving.taxonomy import taxonomy
from ..serving.text import words
from .encoder import Encoder, load_encoder
from .features import article_text

# Taxonomy nodes that are not ordinary news (each has a sensitive category): their text is not learnt as ordinary.
SENSITIVE_NODES = frozenset({"war-and-conflict", "crime", "disasters"})
SEED_WEIGHT = 0.5  # a category's seed term in the text: its confidence p becomes 1 - (1 - p)(1 - SEED_WEIGHT)
NEGATIONS = frozenset({"no", "not", "never", "without"})  # "no one was killed": the seed is not read
NEGATION_WINDOW = 3  # words before a seed term that may negate it
C = 2.0  # inverse regularisation (1 to 4 read alike on bench/safety.py; higher is sharper and misses more)
KIND_SHARE = 0.25  # a category holding this share of the sensitive probability is one of the article's kinds


class SensitiveReader:
    def __init__(self, encoder: Encoder | None = None):
        self._encoder = encoder
        self._fit: tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray] | None = None  # read per new article

    def fitted(self) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
        f = self._fit
        if f is None:
            f = self._fit = _fitted(self._encoder or load_encoder())
        return f

    def warm(self) -> None:
        self.fitted()

    def embed(self, ctx: ArticleContext) -> np.ndarray:
        return self.fitted()[0].embed_one(article_text(ctx))

    def read(self, vector: np.ndarray, text: str = "") -> dict[str, float]:
        """Category -> how sure the article is in it (0..1), from its embedding (`embed`) and the seed terms of
        its `text` (the same text, `features.article_text`)."""
        _, names, coef, intercept = self.fitted()
        # One small product in numpy; the softmax over a few dozen classes in plain floats (cheaper than ufuncs).
        z = (coef @ vector + intercept).tolist()
        top = max(z)
        e = [math.exp(x - top) for x in z]
        total = sum(e)
        p = [x / total for x in e[: len(names)]]  # the sensitive categories first, the ordinary sections after
        sensitive, largest = sum(p), max(p)
        out = {
            n: sensitive if q >= KIND_SHARE * sensitive or q == largest else q for n, q in zip(names, p, strict=True)
        }
        for n in seeded(text):
            out[n] = 1.0 - (1.0 - out[n]) * (1.0 - SEED_WEIGHT)
        return out


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _lookalikes() -> dict:
    path = resources.files("adserver.model").joinpath("data/sensitive_lookalikes.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def lookalikes() -> dict[str, list[str]]:
    """News section -> ordinary headlines in the sensitive categories' words (`data/sensitive_lookalikes.yaml`)."""
    return _lookalikes()["headlines"]


def everyday() -> list[str]:
    """Phrases in which a word of harm has its everyday sense ("sudden death", "made a killing")."""
    return _lookalikes()["everyday"]


@lru_cache(maxsize=1)
def _seed_index() -> tuple[dict[str, list[tuple[tuple[str, ...], str]]], dict[str, list[tuple[str, ...]]]]:
    """(first word -> [(seed phrase, category)], first word -> [everyday phrase]), as `words` splits them."""
    seeds: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for name, entry in categories.categories().items():
        for term in entry.get("seeds") or ():
            phrase = tuple(words(term))
            seeds.setdefault(phrase[0], []).append((phrase, name))
    everyday: dict[str, list[tuple[str, ...]]] = {}
    for term in _lookalikes()["everyday"]:
        phrase = tuple(words(term))
        everyday.setdefault(phrase[0], []).append(phrase)
    return seeds, everyday


def seeded(text: str) -> set[str]:
    """The categories whose seed terms the text uses in their plain sense: not inside an everyday phrase
    ("sudden death") nor after a negation within `NEGATION_WINDOW` words ("no one was killed")."""
    seeds, everyday = _seed_index()
    tokens = words(text)
    if seeds.keys().isdisjoint(tokens):  # most articles: no seed term at all
        return set()
    masked = set()
    for i, w in enumerate(tokens):
        for phrase in everyday.get(w, ()):
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                masked.update(range(i, i + len(phrase)))
    found = set()
    for i, w in enumerate(tokens):
        for phrase, name in seeds.get(w, ()):
            span = range(i, i + len(phrase))
            if (
                name not in found
                and tuple(tokens[i : i + len(phrase)]) == phrase
                and masked.isdisjoint(span)
                and NEGATIONS.isdisjoint(tokens[max(0, i - NEGATION_WINDOW) : i])
            ):
                found.add(name)
    return found


@lru_cache(maxsize=2)
def _fitted(encoder: Encoder) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
    """Fitted once per process and encoder (every app and reader of the process shares it)."""
    with _lock:
        return _fit(encoder)


def _fit(encoder: Encoder) -> tuple[Encoder, tuple[str, ...], np.ndarray, np.ndarray]:
    """(encoder, category names, coefficients, intercepts): one row per class, the categories first."""
    tax = taxonomy()
    cats = categories.categories()
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
    for section, lines in lookalikes().items():
        texts += lines
        labels += ["ordinary:" + section] * len(lines)
    classes = [*names, *sorted(set(labels) - set(names))]
    clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(encoder.embed(texts), labels)
    order = [list(clf.classes_).index(c) for c in classes]
    return encoder, names, clf.coef_[order].astype(np.float32), clf.intercept_[order].astype(np.float32)
