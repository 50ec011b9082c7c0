"""The topic reader: a shipped encoder checked by sha256, unknown topics mapped by meaning, text read on the
taxonomy."""

from __future__ import annotations

import shutil

import pytest

from adserver.model.encoder import Encoder, EncoderUnavailable, default_path, load_encoder
from adserver.model.matcher import ModelMatcher
from adserver.serving.context import ArticleContext
from adserver.serving.decision import decide
from tests.builders import campaign, snapshot


@pytest.fixture(scope="module")
def matcher():
    return ModelMatcher(None)


def test_the_encoder_loads_offline_from_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    shutil.copytree(default_path(), tmp_path / "encoder")
    enc = Encoder(tmp_path / "encoder")
    v = enc.embed_one("Striker scores twice in the cup final")
    assert v.shape == (256,)
    assert abs(float(v @ v) - 1.0) < 1e-4


def test_the_encoder_refuses_weights_that_are_not_the_pinned_ones(tmp_path):
    copy = tmp_path / "encoder"
    shutil.copytree(default_path(), copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(EncoderUnavailable, match="sha256"):
        Encoder(copy)


def test_similar_texts_are_closer_than_unrelated_ones():
    enc = load_encoder()
    football, match, budget = enc.embed(
        ["football match", "the striker scored a goal", "the finance minister's budget"]
    )
    assert football @ match > football @ budget


@pytest.mark.parametrize(
    "said, section", [("soccer-news", "sport"), ("markets-news", "business"), ("gibberish-xq", "")]
)
def test_a_topic_string_the_table_does_not_know_is_mapped_by_meaning(matcher, said, section):
    assert matcher.tax.resolve(said) == ""
    node = matcher.node_of(said)
    assert (matcher.tax.section(node) if node else "") == section


@pytest.mark.parametrize(
    "title, section",
    [
        ("Striker scores twice as the champions win the cup final", "sport"),
        ("Prime minister loses the vote on the immigration bill in parliament", "politics"),
        ("Shares fall after the bank's quarterly profits miss forecasts", "business"),
        ("Ten pasta recipes for winter", "food"),
    ],
)
def test_the_text_of_an_article_reads_as_its_section(matcher, title, section):
    r = matcher.read(ArticleContext.create("article-footer", title=title))
    best, _ = r.best(matcher.tax.names)
    assert matcher.tax.section(best) == section


def test_a_campaigns_fit_names_the_topic_and_the_confidence(matcher):
    sport = campaign("sport", targeting={"topics": ["sport"]})
    food = campaign("food", targeting={"topics": ["food"]})
    ctx = ArticleContext.create("article-footer", title="Striker scores twice as the champions win the cup final")
    fit_sport, fit_food = matcher.fits(ctx, [sport, food])
    assert fit_sport.eligible and fit_sport.how == "read from text" and fit_sport.topic == "sport"
    assert not fit_food.eligible and fit_food.confidence < fit_food.floor


def test_a_keyword_only_campaign_matches_by_meaning_without_the_word(matcher):
    c = campaign("pasta", targeting={"keywords": ["pasta", "recipes", "cooking"]})
    hit = matcher.fits(ArticleContext.create("article-footer", title="Ten pasta recipes for winter"), [c])[0]
    near = matcher.fits(ArticleContext.create("article-footer", title="How to cook spaghetti and lasagne"), [c])[0]
    far = matcher.fits(ArticleContext.create("article-footer", title="Parliament votes on the budget"), [c])[0]
    assert (hit.eligible, hit.how) == (True, "keyword")
    assert (near.eligible, near.how) == (True, "keyword meaning")
    assert not far.eligible


def test_one_text_embeds_as_in_a_batch():
    enc = load_encoder()
    texts = ["Japan's manufacturing sector and the race for physical AI", "Ten pasta recipes for winter", "zzzz qqq"]
    for text, row in zip(texts, enc.embed(texts), strict=True):
        assert float(enc.embed_one(text) @ row) > 0.999


def test_a_new_article_is_embedded_once_for_its_safety_tone_and_topic_readings(monkeypatch):
    matcher = ModelMatcher()
    matcher.warm()
    encoder = matcher.encoder
    calls = []
    embed_one, embed_head = encoder.embed_one, encoder.embed_head
    monkeypatch.setattr(encoder, "embed_one", lambda text: calls.append(text) or embed_one(text))
    monkeypatch.setattr(encoder, "embed_head", lambda text, head: calls.append(text) or embed_head(text, head))
    rules = {"topics": ["technology"], "exclude_categories": ["crime"], "exclude_sentiments": ["negative"]}
    brand_safe = snapshot(campaign("safe", targeting=rules))  # read for its safety, then for its topic
    ctx = ArticleContext.create("article-footer", title="Chipmaker unveils a faster processor", topic="technology")
    assert decide(ctx, brand_safe, matcher=matcher).decision is not None
    assert len(calls) == 1
    again = matcher.annotate(ctx, True, True)  # what the plan read: the tone and categories, on the kept embedding
    assert again.sentiment_read and again.sentiment_confidence and again.category_confidence and len(calls) == 1
