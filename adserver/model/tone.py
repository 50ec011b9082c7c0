"""`ToneReader`: how sure the text is that an article's news is negative, neutral or positive (`safety.annotate`).

"negative" is news of harm, loss, danger or distress to people, not dark words (`data/tone.yaml` says it in
full): VADER's lexicon alone read a recipe's "mistakes" and a striker who "terrorises defences" as negative, and a
rate rise that sank markets as positive. Here one multinomial logistic regression reads four things: the
article's sentence embedding, its headline's (from the same tokenisation, `Encoder.embed_head`: a lead's other
words dilute the headline's news), the negative side of VADER's compound score (its positive words are the
trap in news: "raises", "record", "soar") and how many of the project's harm terms the title and summary use
in their plain sense (`harm` in `data/tone.yaml`: "laid off", "outbreak", "prices soar", which a mean of word
vectors dilutes and VADER does not know). It is fitted at start-up on the project's own text only (each
tone's description and example headlines, and the examples of the harmful sensitive categories of
`data/sensitive.yaml` as negative): deterministic, well under a second. The article is embedded once per plan
for the topic, safety and tone readings (`ModelMatcher`). Research data may evaluate it (bench/tone.py), never
train it. Known limit: word vectors do not see which way a number moves ("lifts rates", "cuts rates").
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
from ..serving.text import words
from .encoder import Encoder, load_encoder
from .sensitive import NEGATION_WINDOW, NEGATIONS, everyday

TONES = ("negative", "neutral", "positive")
# Sensitive categories whose examples are all news of harm (news of arms, drugs or adult content need not be).
HARMFUL = ("crime", "disasters", "death-and-tragedy", "war-and-conflict", "terrorism")
# Inverse regularisation and the weights of VADER's score and the harm-term count beside the two embeddings:
# chosen on the floor part of bench/data/tone_labelled.tsv (bench/tone.py); C 1 to 4, VADER's weight 0.5 to 2
# and the harm terms' 1 to 4 read alike there.
C = 2.0
LEXICON_WEIGHT = 1.0
HARM_WEIGHT = 1.0
HARM_COUNTED = 3  # harm terms beyond this many say nothing more
VADER_CHARS = 1000  # VADER reads the start of the text: bounded work per article, as the encoder does


@lru_cache(maxsize=1)
def _data() -> dict:
    path = resources.files("adserver.model").joinpath("data/tone.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tones() -> dict[str, dict]:
    """tone -> {description, examples}."""
    return {t: _data()[t] for t in TONES}


@lru_cache(maxsize=1)
def _harm_index() -> tuple[dict[str, list[tuple[str, ...]]], dict[str, list[tuple[str, ...]]]]:
    """(first word -> [harm phrase], first word -> [everyday phrase]), as `words` splits them."""
    index: tuple[dict, dict] = ({}, {})
    for table, terms in zip(index, (_data()["harm"], everyday()), strict=True):
        for term in terms:
            phrase = tuple(words(term))
            table.setdefault(phrase[0], []).append(phrase)
    return index


def harm_terms(text: str) -> int:
    """How many harm terms the text uses in their plain sense: not inside an everyday phrase ("dead heat") nor
    within `NEGATION_WINDOW` words after a negation ("no one was hurt")."""
    harm, everyday = _harm_index()
    tokens = words(text)
    starts = [i for i, w in enumerate(tokens) if w in harm]
    if not starts:  # most articles: no harm term at all
        return 0
    masked = set()
    if not everyday.keys().isdisjoint(tokens):
        for i, w in enumerate(tokens):
            for phrase in everyday.get(w, ()):
                if tuple(tokens[i : i + len(phrase)]) == phrase:
                    masked.update(range(i, i + len(phrase)))
    found = 0
    for i in starts:
        if not NEGATIONS.isdisjoint(tokens[max(0, i - NEGATION_WINDOW) : i]):
            continue
        for phrase in harm[tokens[i]]:
            if tuple(tokens[i : i + len(phrase)]) == phrase and masked.isdisjoint(range(i, i + len(phrase))):
                found += 1
                break
    return found


def text_features(text: str) -> list[float]:
    """What the reader takes from the words themselves: how negative VADER finds them (0 when it does not) and
    the share of `HARM_COUNTED` harm terms used."""
    return [
        LEXICON_WEIGHT * min(0.0, lexicon_score(text)),
        HARM_WEIGHT * min(harm_terms(text), HARM_COUNTED) / HARM_COUNTED,
    ]


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def lexicon_score(text: str) -> float:
    """VADER's compound score (-1..1) of the text's start: offline, rule-based."""
    return _vader().polarity_scores(text[:VADER_CHARS])["compound"]


def lexicon_tone(text: str) -> str:
    """What VADER alone says, on its own thresholds (the estimate before this reader; bench/tone.py compares)."""
    score = lexicon_score(text)
    return "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"


class ToneReader:
    def __init__(self, encoder: Encoder | None = None):
        self._encoder = encoder
        self._fit: tuple[np.ndarray, np.ndarray] | None = None

    def fitted(self) -> tuple[np.ndarray, np.ndarray]:
        f = self._fit
        if f is None:
            f = self._fit = _fitted(self._encoder or load_encoder())
        return f

    def warm(self) -> None:
        self.fitted()
        _vader()

    def read(self, vector: np.ndarray, headline: np.ndarray, text: str) -> dict[str, float]:
        """Tone -> probability (they sum to 1), from the article's embedding, its headline's (the article's when
        the headline has no known word) and its title and summary (`text`, for the words themselves); {} for a
        text without known words."""
        if not vector.any():
            return {}
        if not headline.any():
            headline = vector
        coef, intercept = self.fitted()
        x = np.concatenate((vector, headline, np.float32(text_features(text))))
        z = (coef @ x + intercept).tolist()  # three classes: the softmax in plain floats
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {t: v / total for t, v in zip(TONES, e, strict=True)}


_lock = threading.Lock()


def training_text() -> tuple[list[str], list[str]]:
    """(texts, tones): the project's own writing only. An example is a headline, or "Headline. Its lead."."""
    texts, labels = [], []
    for tone, entry in tones().items():
        for t in (entry["description"], *entry["examples"]):
            texts.append(t)
            labels.append(tone)
    cats = categories.categories()
    for name in HARMFUL:
        texts += cats[name]["examples"]
        labels += ["negative"] * len(cats[name]["examples"])
    return texts, labels


def features(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """(len(texts), 2 * dim + 2): what `ToneReader.read` reads, for texts written as "Headline. Its lead."."""
    heads = [t.split(". ", 1)[0] for t in texts]
    lexicon = np.float32([text_features(t) for t in texts])
    return np.hstack((encoder.embed(texts), encoder.embed(heads), lexicon))


@lru_cache(maxsize=2)
def _fitted(encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients, intercepts), one row per tone in `TONES` order: fitted once per process and encoder."""
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the fit is small, and BLAS threads contending for busy cores made it 30x slower.
    with _lock, threadpool_limits(limits=1):
        texts, labels = training_text()
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(features(encoder, texts), labels)
        order = [list(clf.classes_).index(t) for t in TONES]
        return clf.coef_[order].astype(np.float32), clf.intercept_[order].astype(np.float32)
