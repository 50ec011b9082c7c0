"""Training: build the label space and documents from the catalog, an optional corpus and the base text; fit.

Corpus format (JSON lines): {"title": str, "text": str, "topic": str, "keywords": [str]}; topic is required,
the rest optional. Each article gives two documents: title + first paragraph (what a decision request
carries), title + full text, and each pair of later paragraphs at half weight.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB

from ..errors import AdserverError
from ..serving.snapshot import Campaign
from .features import Doc, aliases, base_documents, campaign_text, label_of
from .relevance import RelevanceModel

CATALOG_WEIGHT = 3.0  # an advertiser's own words about a topic count more than one generic line
MAX_FEATURES = 60000
STOP_WORDS: str | None = "english"
# Classes weigh what their documents weigh: "balanced" lifted each of the ~40 base-text labels (a few short
# lines each) to a whole corpus topic, and they drew probability away from the topics campaigns target
# (5-fold CV on the BBC train split: 0.938 balanced, 0.944 not).
CLASS_WEIGHT: str | None = None
NB_ALPHA = 0.1
PASSAGE_WEIGHT = 0.5
NB_SHARPNESS = 3.0
PRIOR_SHARE = 0.1  # weight of the catalog-and-base-text opinion next to a corpus-trained classifier


class TrainingError(AdserverError):
    """The training data cannot be used; the message says which line or field."""


@dataclass(frozen=True)
class Article:
    title: str
    text: str
    topic: str
    keywords: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """The first paragraph (or first 300 characters): what a publisher sends as a summary."""
        first = self.text.strip().split("\n", 1)[0]
        return first if len(first) < 600 else first[:300]


def read_corpus(path: str | Path) -> list[Article]:
    """Read a JSON-lines corpus; a bad line raises TrainingError naming its line number."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                topic = label_of(str(d["topic"]))
                if not topic:
                    raise ValueError("empty topic")
                out.append(
                    Article(
                        title=str(d.get("title") or ""),
                        text=str(d.get("text") or ""),
                        topic=topic,
                        keywords=tuple(str(k) for k in d.get("keywords") or ()),
                    )
                )
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise TrainingError(
                    f"{path}:{n}: not a corpus line ({e}); expected {{title, text, topic, keywords}}"
                ) from None
    if not out:
        raise TrainingError(f"{path}: no articles")
    return out


def corpus_documents(articles: Iterable[Article]) -> list[Doc]:
    docs = []
    for a in articles:
        kw = " ".join(a.keywords)
        docs.append(Doc(f"{a.title} . {a.summary} . {kw}", a.topic))
        docs.append(Doc(f"{a.title} . {a.text} . {kw}", a.topic))
        paras = [p for p in a.text.split("\n") if p.strip()]
        for i in range(1, len(paras), 2):  # short passages, like the summaries decisions carry
            docs.append(Doc(" ".join(paras[i : i + 2]), a.topic, PASSAGE_WEIGHT))
    return docs


def catalog_documents(campaigns: Sequence[Campaign]) -> list[Doc]:
    """Each campaign's text, labelled with each topic it targets."""
    return [Doc(campaign_text(c), label_of(t), CATALOG_WEIGHT) for c in campaigns for t in c.targeting.topics]


def merged_base(docs: Sequence[Doc], own_labels: set[str]) -> list[Doc]:
    """Base text under the catalog's or corpus's own label when that label names the same topic
    ('technology-computing' lines count as 'tech'): one topic, one label, so its words back the topic a
    campaign targets instead of a look-alike label that competes with it."""
    rename = {}
    for label in {d.label for d in docs} - own_labels:
        same = sorted(o for o in own_labels if aliases(o, label))
        if len(same) == 1:
            rename[label] = same[0]
    return [replace(d, label=rename.get(d.label, d.label)) for d in docs]


def fingerprint(docs: Sequence[Doc]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(f"{d.label}\t{d.weight}\t{d.text}\n".encode())
    return h.hexdigest()


def _logistic(x, y: list[str], w: list[float], c: float) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression: the classifier when a corpus of full articles is given."""
    clf = LogisticRegression(C=c, max_iter=1000, class_weight=CLASS_WEIGHT)
    clf.fit(x, y, sample_weight=w)
    if len(clf.classes_) == 2:
        return np.vstack([-clf.coef_[0], clf.coef_[0]]), np.array([-clf.intercept_[0], clf.intercept_[0]])
    return clf.coef_, clf.intercept_


def _naive_bayes(x, y: list[str], w: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Complement naive Bayes with uniform priors: steadier than a logistic regression on short catalog text.

    Its decision is linear in the TF-IDF row, so it is stored the same way; NB_SHARPNESS sets the temperature.
    """
    clf = ComplementNB(alpha=NB_ALPHA)
    clf.fit(x, y, sample_weight=w)
    return clf.feature_log_prob_ * NB_SHARPNESS, np.zeros(len(clf.classes_))


@dataclass
class TrainResult:
    model: RelevanceModel
    info: dict


def fit(
    campaigns: Sequence[Campaign],
    articles: Sequence[Article] = (),
    base: bool = True,
    c: float = 10.0,
    base_weight: float = 1.0,
    embedding: bool = False,
) -> TrainResult:
    """Fit the encoder and the topic classifier; `info` feeds metadata.json.

    `embedding` adds the dense-embedding opinion (label centroids, `adserver[embedding]` extra): the model then
    needs that extra wherever it is loaded.
    """
    started = time.perf_counter()
    if embedding:
        from .embedding import EmbeddingUnavailable, load_embedder

        try:  # before the minutes of fitting, not after
            load_embedder()
        except EmbeddingUnavailable as e:
            raise TrainingError(str(e)) from None
    own = catalog_documents(campaigns) + corpus_documents(articles)
    docs = own + (merged_base(base_documents(base_weight), {d.label for d in own}) if base else [])
    labels = sorted({d.label for d in docs})
    if len(labels) < 2:
        raise TrainingError("need at least two topics (from the catalog's targeting, a corpus or the base text)")
    encoder = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        stop_words=STOP_WORDS,
        min_df=2 if len(articles) >= 200 else 1,
        max_features=MAX_FEATURES,
        dtype=np.float32,
    )
    x = encoder.fit_transform([d.text for d in docs])
    labels_y = [d.label for d in docs]
    weights = [d.weight for d in docs]
    if articles:
        coef, intercept = _logistic(x, labels_y, weights, c)
    else:
        coef, intercept = _naive_bayes(x, labels_y, weights)
    model = RelevanceModel(
        encoder=encoder,
        labels=tuple(labels),
        coef=np.ascontiguousarray(coef.T, dtype=np.float32),
        intercept=intercept.astype(np.float32),
    )
    if articles and base:
        prior = fit(campaigns, (), base=True).model
        model.prior, model.prior_share = prior, PRIOR_SHARE
        model.prior_labels = np.array([model.labels.index(label) for label in prior.labels], dtype=np.int64)
    if embedding:
        from .embedding import EmbeddingTopics

        model.embedding = EmbeddingTopics.fit(
            [d.text for d in docs], [model.labels.index(y) for y in labels_y], weights, len(model.labels)
        )
    info = {
        "classifier": "logistic-regression" if articles else "complement-naive-bayes",
        "embedding": model.embedding.spec.as_dict() if model.embedding is not None else None,
        "training_seconds": round(time.perf_counter() - started, 2),
        "training_fingerprint": fingerprint(docs),
        "sizes": {
            "documents": len(docs),
            "campaigns": len(campaigns),
            "corpus_articles": len(articles),
            "base_documents": len(base_documents()) if base else 0,
            "features": int(x.shape[1]),
            "labels": len(labels),
        },
        "labels": list(model.labels),
    }
    return TrainResult(model, info)
