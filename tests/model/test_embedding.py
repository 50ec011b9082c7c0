"""The optional dense embedding (`adserver[embedding]`, in the dev extra): what it adds, and refusing without it."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import numpy as np
import pytest

from adserver.model import artifacts, embedding
from adserver.model.artifacts import ModelError
from adserver.model.evaluate import eval_catalog
from adserver.model.ranker import ModelRanker
from adserver.model.train import TrainingError, fit
from adserver.serving.context import ArticleContext
from tests.conftest import ROOT, _reset

pytestmark = pytest.mark.skipif(not embedding.available(), reason="needs the embedding extra (in `dev`)")

# No word of these is in the vocabulary of a model trained on the evaluation catalog's own text alone.
UNSEEN = {
    "tech": ("Nvidia unveils faster processors for laptops and smartphones", "Qualcomm ships quicker silicon."),
    "sport": ("Striker nets a hat-trick as United beat Chelsea", "The forward scored three times before half-time."),
}
SINGLE_TOPIC = ["eval-business", "eval-entertainment", "eval-politics", "eval-sport"]


@pytest.fixture(scope="module")
def catalog_text_model():
    """Trained on the five campaigns' own text only (no base text): a small vocabulary."""
    return fit(eval_catalog().campaigns, (), base=False, embedding=True).model


@pytest.fixture
def without_extra(monkeypatch):
    """As if `adserver[embedding]` were not installed: `import wordllama` fails and nothing is loaded."""
    embedding.forget_loaded()
    monkeypatch.setitem(sys.modules, "wordllama", None)
    yield
    embedding.forget_loaded()


def test_text_embedding_is_wordllamas_own_mean_pooling():
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from wordllama import WordLlamaInference  # its import calls logging.basicConfig: undone below

    root.handlers[:] = handlers
    root.setLevel(level)

    embedder = embedding.load_embedder()
    theirs = WordLlamaInference(embedder.vectors, embedder.tokenizer.__class__.from_str(embedder.tokenizer.to_str()))
    texts = ["Mars probe finds signs of ancient water", "Ünïcödé 🚀 北京 «football»", "goal " * 50]
    expected = theirs.embed(texts, norm=True)
    for text, want in zip(texts, expected, strict=True):
        np.testing.assert_allclose(embedder.embed_one(text), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(embedder.embed(texts), expected, rtol=1e-4, atol=1e-5)
    assert not embedder.embed_one("").any()


@pytest.mark.parametrize("topic", sorted(UNSEEN))
def test_embedding_ranks_an_article_to_its_campaign_without_a_shared_word(catalog_text_model, topic):
    snap = eval_catalog()
    title, summary = UNSEEN[topic]
    ctx = ArticleContext.create("article-footer", title=title, summary=summary)
    assert not catalog_text_model.encode_one(f"{title} {summary}")[0].size  # TF-IDF sees nothing
    ranked = ModelRanker(catalog_text_model).rank(ctx, snap.campaigns, snap)
    assert ranked[0].campaign.id == f"eval-{topic}"
    plain = ModelRanker(replace(catalog_text_model, embedding=None)).rank(ctx, snap.campaigns, snap)
    parts = {s.campaign.id: s.parts["topic"] for s in plain}
    assert len({parts[c] for c in SINGLE_TOPIC}) == 1  # without the embedding it cannot tell


def test_saved_model_names_the_embedding_and_does_not_copy_its_weights(tmp_path, catalog_text_model):
    artifacts.save(tmp_path, catalog_text_model, {}, version="v1")
    meta = json.loads((tmp_path / "v1" / "metadata.json").read_text())
    spec = embedding.load_embedder().spec
    assert meta["embedding"] == spec.as_dict() and meta["embedding"]["package"] == "wordllama"
    assert meta["artifact_bytes"] < 1_000_000  # the 16 MB of weights stay in their package
    loaded = artifacts.load(tmp_path, "v1")
    ctx = ArticleContext.create("article-footer", title=UNSEEN["sport"][0])
    assert ModelRanker(loaded).rank(ctx, eval_catalog().campaigns, eval_catalog())[0].campaign.id == "eval-sport"


def test_model_needing_the_embedding_is_refused_without_the_extra(tmp_path, catalog_text_model, without_extra):
    assert not embedding.available()
    artifacts.save(tmp_path, catalog_text_model, {}, version="v1")
    with pytest.raises(ModelError, match=r"v1 uses the dense embedding .*pip install 'adserver\[embedding\]'"):
        artifacts.load(tmp_path, "v1")
    with pytest.raises(ModelError, match="not installed"):
        artifacts.activate(tmp_path, "v1")
    assert artifacts.active_version(tmp_path) is None


def test_training_with_the_embedding_says_which_extra_is_missing(without_extra):
    with pytest.raises(TrainingError, match=r"adserver\[embedding\]"):
        fit(eval_catalog().campaigns, (), embedding=True)


def test_shipped_model_loads_and_serves_without_the_extra(without_extra):
    models = ROOT / "models"
    version = artifacts.active_version(models)
    model = artifacts.load(models, version)
    assert model.embedding is None
    ctx = ArticleContext.create("article-footer", title="Open-source LLM agents for developers")
    snap = eval_catalog()
    assert ModelRanker(model).rank(ctx, snap.campaigns, snap)


def test_model_trained_with_other_embedding_weights_is_refused(tmp_path, catalog_text_model):
    other = replace(catalog_text_model.embedding.spec, package_version="0.3.0", weights_sha256="0" * 64)
    model = replace(catalog_text_model, embedding=replace(catalog_text_model.embedding, spec=other))
    artifacts.save(tmp_path, model, {}, version="v1")
    with pytest.raises(ModelError, match="wordllama 0.3.0 weights .* ships other ones"):
        artifacts.load(tmp_path, "v1")


def test_app_serves_an_embedding_model_from_the_models_directory(settings_overrides, tmp_path, catalog_text_model):
    from adserver import create_app
    from adserver.catalog.files import import_catalog, read_file

    artifacts.save(tmp_path, catalog_text_model, {}, version="v1")
    artifacts.activate(tmp_path, "v1")
    app = create_app({**settings_overrides, "models_dir": str(tmp_path)})
    svc = app.extensions["adserver"]
    try:
        _reset(svc.db)  # only the five evaluation campaigns
        import_catalog(svc.db, read_file(ROOT / "adserver" / "model" / "data" / "eval_catalog.yaml"))
        svc.catalog.refresh(force=True)
        title, summary = UNSEEN["sport"]
        body = (
            app.test_client()
            .post(
                "/v1/decision?explain=1",
                json={"placement": "article-footer", "article": {"title": title, "summary": summary}},
            )
            .get_json()
        )
    finally:
        svc.close()
    assert body["explain"]["ranker"] == "model"
    assert body["campaign"]["id"] == "eval-sport"


def test_cli_trains_with_the_embedding_and_names_the_missing_extra(tmp_path, monkeypatch, migrated_url):
    from click.testing import CliRunner

    from adserver.cli import main

    env = {"MODELS_DIR": str(tmp_path), "DATABASE_URL": migrated_url}  # a trained version is stored in SQL too
    catalog = str(ROOT / "config" / "catalog.example.yaml")
    done = CliRunner().invoke(main, ["model", "train", "--catalog", catalog, "--embedding"], env=env)
    assert done.exit_code == 0, done.output
    # the one trained here, beside the shipped versions the fresh directory was seeded with
    (version,) = [p for p in tmp_path.iterdir() if p.is_dir() and not (artifacts.SHIPPED / p.name).exists()]
    assert json.loads((version / "metadata.json").read_text())["embedding"]["package"] == "wordllama"
    embedding.forget_loaded()
    monkeypatch.setitem(sys.modules, "wordllama", None)
    try:
        refused = CliRunner().invoke(main, ["model", "train", "--catalog", catalog, "--embedding"], env=env)
    finally:
        embedding.forget_loaded()
    assert refused.exit_code == 1 and "adserver[embedding]" in refused.output
