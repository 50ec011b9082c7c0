"""The request-path encoder gives the same numbers as the fitted scikit-learn pipeline it replaces."""

from __future__ import annotations

import numpy as np
import pytest

from adserver.model.evaluate import eval_catalog
from adserver.model.features import article_text, campaign_text
from adserver.model.ranker import W_TEXT, ModelRanker
from adserver.model.train import Article, fit
from adserver.serving.context import ArticleContext

TEXTS = [
    "Central bank holds interest rates as inflation eases",
    "Striker scores twice; United win the cup final. Striker, striker!",
    "Ünïcödé 🚀 北京 — «football» ⚽ zero-width\u200b",
    "",
    "goal " * 5000,
    "words the model never saw: zyzzyva quokka",
]

CORPUS = [
    Article("Shares rally", "Investors bought bank shares as profits rose.\nThe market closed higher.", "business"),
    Article("Cup final", "The striker scored twice in the final.\nFans cheered the league champions.", "sport"),
    Article("New phone", "The handset runs a faster chip and new software.\nUsers can download apps.", "tech"),
] * 3


@pytest.fixture(scope="module", params=["catalog-only", "with-corpus"])
def model(request):
    campaigns = eval_catalog().campaigns
    return fit(campaigns, CORPUS if request.param == "with-corpus" else ()).model


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_fast_encoding_equals_the_sklearn_transform(model, text):
    cols, vals = model.encode_one(text)
    dense = np.zeros(len(model.encoder.vocabulary_), dtype=np.float32)
    dense[cols] = vals
    expected = model.encoder.transform([text]).toarray()[0]
    np.testing.assert_allclose(dense, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_fast_topic_probabilities_equal_the_sklearn_pipeline(model, text):
    _, _, probs = model.probs_of(text)
    expected = model.topic_probs(model.encode([text]))[0]
    if model.prior is not None:
        mixed = np.zeros_like(expected)
        mixed[model.prior_labels] = model.prior.topic_probs(model.prior.encode([text]))[0]
        expected = (1 - model.prior_share) * expected + model.prior_share * mixed
    np.testing.assert_allclose(probs, expected, rtol=1e-4, atol=1e-6)


def test_ranked_text_similarity_equals_the_sklearn_cosine(model):
    snapshot = eval_catalog()
    ctx = ArticleContext.create("article-footer", title="Bank shares and profits", summary="Investors and markets.")
    ranked = ModelRanker(model).rank(ctx, snapshot.campaigns, snapshot)
    article = model.encoder.transform([article_text(ctx)])
    for s in ranked:
        cosine = float((model.encoder.transform([campaign_text(s.campaign)]) @ article.T).toarray()[0, 0])
        if s.score > 0:
            assert s.parts["text"] == pytest.approx(W_TEXT * cosine, abs=1e-4)
