"""The tone reader: news of harm reads negative, dark words in ordinary news do not, and below the floor the tone
is unknown and excludes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adserver.model import tone
from adserver.model.encoder import load_encoder
from adserver.model.matcher import ModelMatcher
from adserver.serving import safety
from adserver.serving.context import ArticleContext
from adserver.serving.eligibility import rejection_reason
from tests.builders import TODAY, campaign

LABELLED = Path(__file__).resolve().parents[2] / "bench" / "data" / "tone_labelled.tsv"

# Issue 21's examples, which VADER read as negative: none of them reports harm to anyone.
NOT_BAD_NEWS = [
    ("Why your sourdough fails, and the fix", "Dense loaves and flat crumbs come from three common mistakes.", "food"),
    ("The striker who terrorises defences: how a teenager became the league's top scorer", "", "sport"),
    ("Comedian cancels the rest of his tour after losing his voice", "", "entertainment"),
    # Written for these tests (in neither the training text nor the labelled set).
    ("The killer app of the year is a spreadsheet", "Small firms say it saved them hours of admin every week.", "tech"),
    (
        "Champions crushed 4-0 as the title race opens up",
        "The leaders were beaten for the first time since August.",
        "sport",
    ),
]
BAD_NEWS = [
    (
        "Three children die in a house fire on the estate",
        "Neighbours tried to reach them before firefighters arrived.",
        "news",
    ),
    ("Food poisoning outbreak at a wedding leaves sixty guests in hospital", "", "food"),
    (
        "Carmaker to cut 3,000 jobs and close its oldest plant",
        "Unions called it a devastating blow to the town.",
        "business",
    ),
    ("Former goalkeeper dies at 34 after collapsing during a charity match", "", "sport"),
]


# Bad news in words VADER reads as good (+0.46): "raises", and a fall it does not count. The harm terms carry it
# ("inflation bites", "markets fell"): a mean of word vectors does not see which way rates move.
CENTRAL_BANK = (
    "Central bank raises interest rates again as inflation bites",
    "Markets fell after the announcement.",
    "business",
)


@pytest.fixture(scope="module")
def matcher():
    r = ModelMatcher()
    r.warm()
    return r


def read(matcher: ModelMatcher, title: str, summary: str, topic: str) -> ArticleContext:
    return matcher.annotate(
        ArticleContext.create("article-footer", title=title, summary=summary, topic=topic), True, False
    )


@pytest.mark.parametrize("with_topic", [True, False])
@pytest.mark.parametrize(("title", "summary", "topic"), NOT_BAD_NEWS)
def test_dark_words_in_ordinary_news_do_not_read_negative(matcher, title, summary, topic, with_topic):
    ctx = read(matcher, title, summary, topic if with_topic else "")
    assert ctx.sentiment_read and ctx.sentiment != "negative", ctx.sentiment_confidence


@pytest.mark.parametrize("with_topic", [True, False])
@pytest.mark.parametrize(("title", "summary", "topic"), BAD_NEWS)
def test_news_of_harm_reads_negative_with_its_confidence(matcher, title, summary, topic, with_topic):
    ctx = read(matcher, title, summary, topic if with_topic else "")
    confidence = dict(ctx.sentiment_confidence)
    assert ctx.sentiment == "negative" and confidence["negative"] >= safety.TONE_FLOOR, confidence
    assert abs(sum(confidence.values()) - 1.0) < 1e-3


@pytest.mark.parametrize("with_topic", [True, False])
def test_the_central_bank_article_reads_negative(matcher, with_topic):
    title, summary, topic = CENTRAL_BANK
    assert tone.lexicon_tone(f"{title} . {summary}") == "positive"
    assert read(matcher, title, summary, topic if with_topic else "").sentiment == "negative"


def test_vader_reads_the_findings_wrong_and_the_reader_reads_them_right(matcher):
    # The reason for this reader: the lexicon reads dark words, not news.
    text = "Why your sourdough fails, and the fix . Dense loaves and flat crumbs come from three common mistakes."
    assert tone.lexicon_tone(text) == "negative"
    assert read(matcher, *NOT_BAD_NEWS[0]).sentiment != "negative"


def fake_tone(negative: float):
    rest = (1.0 - negative) / 2
    return lambda ctx: {"negative": negative, "neutral": rest, "positive": rest}


def test_below_the_floor_the_tone_is_unknown_and_excludes_nothing():
    excludes_negative = campaign(targeting={"exclude_sentiments": ["negative"]})
    ctx = ArticleContext.create("article-footer", title="Any article")
    unsure = safety.annotate(ctx, True, tone=fake_tone(safety.TONE_FLOOR - 0.05))
    assert (unsure.sentiment, unsure.sentiment_read) == ("", True)
    assert rejection_reason(excludes_negative, unsure, TODAY, unsure.text_words()) is None
    sure = safety.annotate(ctx, True, tone=fake_tone(safety.TONE_FLOOR + 0.05))
    assert sure.sentiment == "negative"
    reason = rejection_reason(excludes_negative, sure, TODAY, sure.text_words())
    assert reason == "excludes negative sentiment (read from the text)"


def test_a_sent_sentiment_is_kept_and_without_a_tone_reader_none_is_read():
    sent = safety.annotate(ArticleContext.create("x", title="t", sentiment="neutral"), True, tone=fake_tone(0.99))
    assert (sent.sentiment, sent.sentiment_read) == ("neutral", False)
    unread = safety.annotate(ArticleContext.create("x", title="Earthquake kills hundreds"), True)
    assert (unread.sentiment, unread.sentiment_read) == ("", False)


def test_an_article_without_text_has_no_tone(matcher):
    ctx = matcher.annotate(ArticleContext.create("x", keywords=["   "]), True, False)
    assert ctx.sentiment == "" and ctx.sentiment_confidence == ()


def test_the_fit_is_deterministic():
    encoder = load_encoder()
    (a, b), (c, d) = tone._fitted.__wrapped__(encoder), tone._fitted.__wrapped__(encoder)
    assert np.array_equal(a, c) and np.array_equal(b, d)


def test_the_labelled_set_is_not_in_the_training_text():
    training = {t.split(". ", 1)[0].strip().lower() for t in tone.training_text()[0]}
    rows = [x.split("\t") for x in LABELLED.read_text(encoding="utf-8").splitlines() if x and not x.startswith("#")]
    assert len(rows) >= 300
    assert {r[0] for r in rows} == {"floor", "report"}
    assert not training & {r[3].strip().lower() for r in rows}


def test_the_headline_is_read_from_the_same_tokenisation():
    encoder = load_encoder()
    text = "Three children die in a house fire . Neighbours tried to reach them."
    whole, head = encoder.embed_head(text, text.find(" . "))
    assert np.allclose(whole, encoder.embed_one(text)) and np.allclose(
        head, encoder.embed_one(text[: text.find(" . ")])
    )
