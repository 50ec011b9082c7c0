"""Model artifacts: versions, checksums, sklearn version, activation, rollback, hot swap, serving."""

from __future__ import annotations

import json
import threading
import time

import pytest
from click.testing import CliRunner

from adserver import create_app
from adserver.cli import main
from adserver.infra import migrate
from adserver.infra.storage import Database
from adserver.model import artifacts, store
from adserver.model.artifacts import ModelError, ModelHolder
from adserver.model.evaluate import eval_catalog
from adserver.model.matcher import ModelMatcher
from adserver.model.ranker import ModelRanker
from adserver.model.train import fit
from adserver.serving.context import ArticleContext
from adserver.serving.decision import decide
from tests.conftest import EXAMPLE_CATALOG


@pytest.fixture(scope="module")
def trained():
    snap = eval_catalog()
    return snap, fit(snap.campaigns)


def save(models_dir, trained, version):
    snap, result = trained
    return artifacts.save(models_dir, result.model, result.info, version=version)


def test_saved_version_records_sklearn_checksum_and_sizes(tmp_path, trained):
    save(tmp_path, trained, "v1")
    meta = json.loads((tmp_path / "v1" / "metadata.json").read_text())
    assert meta["artifact_sha256"] == artifacts.sha256_file(tmp_path / "v1" / "model.joblib")
    assert meta["sklearn_version"] and meta["sizes"]["documents"] > 0 and meta["training_fingerprint"]
    assert meta["artifact_bytes"] <= 20 * 1024 * 1024
    assert artifacts.load(tmp_path, "v1").labels == trained[1].model.labels


def test_tampered_artifact_is_refused(tmp_path, trained):
    save(tmp_path, trained, "v1")
    with open(tmp_path / "v1" / "model.joblib", "ab") as f:
        f.write(b"\x00")
    with pytest.raises(ModelError, match="checksum"):
        artifacts.load(tmp_path, "v1")


def test_other_sklearn_version_is_refused_with_a_clear_error(tmp_path, trained):
    save(tmp_path, trained, "v1")
    artifacts.update_metadata(tmp_path, "v1", sklearn_version="0.24.2")
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        artifacts.load(tmp_path, "v1")


@pytest.mark.parametrize("version", ["../etc", "/abs", "a/b", "", ".hidden"])
def test_versions_outside_the_models_directory_are_refused(tmp_path, version):
    with pytest.raises(ModelError):
        artifacts.load(tmp_path, version)


def test_activating_a_tampered_version_leaves_the_active_one(tmp_path, trained):
    save(tmp_path, trained, "v1")
    save(tmp_path, trained, "v2")
    artifacts.activate(tmp_path, "v1")
    (tmp_path / "v2" / "model.joblib").write_bytes(b"not a model")
    with pytest.raises(ModelError):
        artifacts.activate(tmp_path, "v2")
    assert artifacts.active_version(tmp_path) == "v1"


def test_rollback_reactivates_the_previous_version(tmp_path, trained):
    save(tmp_path, trained, "v1")
    save(tmp_path, trained, "v2")
    artifacts.activate(tmp_path, "v1")
    artifacts.activate(tmp_path, "v2")
    assert artifacts.rollback(tmp_path) == "v1"
    assert artifacts.active_version(tmp_path) == "v1"


def test_holder_keeps_the_last_good_model_when_the_new_one_is_bad(tmp_path, trained):
    save(tmp_path, trained, "v1")
    artifacts.activate(tmp_path, "v1")
    holder = ModelHolder(tmp_path, poll_seconds=0)
    assert holder.get().version == "v1"
    (tmp_path / "ACTIVE").write_text("missing-version\n")
    assert holder.refresh() is False
    assert holder.get().version == "v1"


def test_hot_swap_under_concurrent_decisions_drops_no_request(tmp_path, trained):
    snap, _ = trained
    save(tmp_path, trained, "v1")
    save(tmp_path, trained, "v2")
    artifacts.activate(tmp_path, "v1")
    holder = ModelHolder(tmp_path, poll_seconds=0.05)
    ranker, matcher = ModelRanker(holder), ModelMatcher(holder)
    matcher.warm()  # as a web process does at start: the swap below must land while decisions run
    errors, served, stop = [], [], threading.Event()

    def worker():
        ctx = ArticleContext.create("article-footer", title="Striker scores in the cup final")
        while not stop.is_set():
            try:
                out = decide(ctx, snap, ranker=ranker, matcher=matcher)
                served.append((holder.version, out.decision.campaign.id))
            except Exception as e:  # the assertion below reports it
                errors.append(e)

    def until(done) -> None:  # waits on state; the deadline only bounds a failure
        deadline = time.monotonic() + 60
        while not done() and not errors and time.monotonic() < deadline:
            time.sleep(0.01)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    until(lambda: any(v == "v1" for v, _ in served))  # decisions are running on v1
    artifacts.activate(tmp_path, "v2")
    until(lambda: any(v == "v2" for v, _ in served[-50:]))  # and go on running once v2 is in
    stop.set()
    for t in threads:
        t.join()
    holder.stop()
    assert not errors
    assert {v for v, _ in served} == {"v1", "v2"}
    assert {cid for _, cid in served} == {"eval-sport"}


@pytest.fixture
def model_db_url(empty_database_url):
    """A database of its own: the model a test activates there is served by no other test."""
    db = Database(empty_database_url)
    migrate.upgrade(db)
    db.dispose()
    return empty_database_url


def test_app_serves_with_the_active_model_and_explains_its_parts(settings_overrides, model_db_url, tmp_path):
    settings_overrides = settings_overrides | {"database_url": model_db_url}
    runner = CliRunner()
    env = {"DATABASE_URL": model_db_url, "REDIS_URL": settings_overrides["redis_url"]}
    r = runner.invoke(
        main,
        ["model", "train", "--catalog", str(EXAMPLE_CATALOG), "--activate"],
        env=env | {"MODELS_DIR": str(tmp_path)},
    )
    assert r.exit_code == 0, r.output
    app = create_app({**settings_overrides, "models_dir": str(tmp_path)})
    svc = app.extensions["adserver"]
    try:
        from adserver.catalog.files import import_catalog, read_file

        import_catalog(svc.db, read_file(EXAMPLE_CATALOG))
        svc.catalog.refresh(force=True)
        body = (
            app.test_client()
            .post(
                "/v1/decision?explain=1",
                json={"placement": "article-footer", "article": {"title": "Open-source LLM agents for developers"}},
            )
            .get_json()
        )
    finally:
        svc.close()
    assert body["explain"]["ranker"] == "model"
    best = body["explain"]["candidates"][0]
    assert {"topic", "text"} <= set(best["parts"]) and any("topic match" in r for r in best["reasons"])


def test_cli_lists_activates_and_rolls_back(tmp_path, trained, model_db_url):
    save(tmp_path, trained, "v1")
    save(tmp_path, trained, "v2")
    runner = CliRunner()
    env = {"MODELS_DIR": str(tmp_path), "DATABASE_URL": model_db_url}
    assert runner.invoke(main, ["model", "activate", "v1"], env=env).exit_code == 0
    assert runner.invoke(main, ["model", "activate", "v2"], env=env).exit_code == 0
    listing = runner.invoke(main, ["model", "list"], env=env).output
    assert "* v2" in listing and "  v1" in listing
    assert runner.invoke(main, ["model", "rollback"], env=env).output.strip() == "activated v1"
    bad = runner.invoke(main, ["model", "activate", "../x"], env=env)
    assert bad.exit_code == 1 and "invalid model version" in bad.output


def tracked_models() -> dict[str, str]:
    """The shipped models/ as git tracks it: every file and its sha256."""
    return {
        str(p.relative_to(artifacts.SHIPPED)): artifacts.sha256_file(p)
        for p in artifacts.SHIPPED.rglob("*")
        if p.is_file()
    }


def test_the_default_models_directory_is_under_var_not_the_tracked_models():
    from adserver.settings import ROOT, load_settings

    settings = load_settings(
        {"database_url": "sqlite://", "redis_url": "redis://x", "secret_key": "k", "environment": "test"}, env={}
    )
    assert settings.models_path == ROOT / "var" / "models" != artifacts.SHIPPED


def test_training_and_activation_write_the_models_directory_and_leave_the_shipped_one_as_it_was(
    settings_overrides, tmp_path, model_db_url
):
    shipped_active = artifacts.active_version(artifacts.SHIPPED)
    before = tracked_models()
    fresh = tmp_path / "var" / "models"  # never written: a fresh install
    db = Database(model_db_url)
    env = {
        "DATABASE_URL": model_db_url,
        "REDIS_URL": settings_overrides["redis_url"],
        "MODELS_DIR": str(fresh),
    }
    listed = CliRunner().invoke(main, ["model", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"* {shipped_active}" in listed.output  # the shipped model is what a fresh install serves
    r = CliRunner().invoke(main, ["model", "train", "--catalog", str(EXAMPLE_CATALOG), "--activate"], env=env)
    assert r.exit_code == 0, r.output
    trained = store.active(db)  # the active version is a row in SQL, for every host
    assert trained != shipped_active and (fresh / trained / artifacts.ARTIFACT).is_file()
    rolled = CliRunner().invoke(main, ["model", "rollback"], env=env)
    assert rolled.exit_code == 0 and store.active(db) == shipped_active
    db.dispose()
    assert tracked_models() == before
    assert artifacts.active_version(artifacts.SHIPPED) == shipped_active


def test_a_fresh_models_directory_serves_the_shipped_model(settings_overrides, tmp_path):
    app = create_app({**settings_overrides, "models_dir": str(tmp_path / "fresh")})
    svc = app.extensions["adserver"]
    try:
        assert isinstance(svc.ranker, ModelRanker)
        assert svc.ranker.models.get().version == artifacts.active_version(artifacts.SHIPPED)
    finally:
        svc.close()


def test_a_models_directory_with_an_active_file_is_never_seeded_again(tmp_path, trained):
    save(tmp_path, trained, "v1")
    artifacts.activate(tmp_path, "v1")
    assert not artifacts.seed(tmp_path)
    assert [v["version"] for v in artifacts.list_versions(tmp_path)] == ["v1"]
    empty = tmp_path / "none"
    empty.mkdir()
    (empty / artifacts.ACTIVE).write_text("")  # an empty ACTIVE: no model, the overlap ranker
    assert not artifacts.seed(empty) and artifacts.active_version(empty) is None
