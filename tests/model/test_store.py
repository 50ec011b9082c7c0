"""Models in SQL: a version trained on one host is served by every host, and activations travel through SQL."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from adserver.cli import main
from adserver.infra import migrate
from adserver.infra.storage import Database, ModelVersion
from adserver.model import artifacts, store
from adserver.model.artifacts import ModelError, ModelHolder
from adserver.model.evaluate import eval_catalog
from adserver.model.train import fit
from tests.conftest import EXAMPLE_CATALOG


@pytest.fixture(scope="module")
def trained():
    return fit(eval_catalog().campaigns)


@pytest.fixture
def db(empty_database_url):
    """A database of its own: what a test activates is served by no other test."""
    db = Database(empty_database_url)
    migrate.upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def hosts(tmp_path):
    """Two hosts' model caches (their MODELS_DIR), sharing one database."""
    a, b = tmp_path / "host-a", tmp_path / "host-b"
    a.mkdir(), b.mkdir()
    return a, b


def train_on(host, trained, version):
    artifacts.save(host, trained.model, trained.info, version=version)


def holder_of(db, host, poll_seconds=0.0) -> ModelHolder:
    return ModelHolder(host, poll_seconds, store.SharedVersions(db, host))


def test_a_version_activated_on_one_host_is_served_from_sql_by_another(db, hosts, trained):
    a, b = hosts
    train_on(a, trained, "v1")
    store.activate(db, a, "v1")
    holder = holder_of(db, b)
    assert holder.get().version == "v1"
    assert artifacts.sha256_file(b / "v1" / "model.joblib") == artifacts.sha256_file(a / "v1" / "model.joblib")
    assert not (b / "ACTIVE").exists()  # the active version is a row, not a file on some host


def test_an_activation_on_one_host_reaches_the_poller_of_another(db, hosts, trained):
    a, b = hosts
    train_on(a, trained, "v1")
    train_on(a, trained, "v2")
    store.activate(db, a, "v1")
    holder = holder_of(db, b, poll_seconds=0.05)
    try:
        assert holder.get().version == "v1"
        store.activate(db, a, "v2")
        deadline = time.monotonic() + 10
        while holder.version != "v2" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert holder.version == "v2"
    finally:
        holder.stop()


def test_an_artifact_altered_in_sql_is_refused_and_the_last_good_model_kept(db, hosts, trained):
    a, b = hosts
    train_on(a, trained, "v1")
    train_on(a, trained, "v2")
    store.activate(db, a, "v1")
    store.publish(db, a, "v2")
    holder = holder_of(db, b)
    assert holder.get().version == "v1"
    with db.session() as s:
        s.execute(update(ModelVersion).where(ModelVersion.version == "v2").values(artifact=b"not a model"))
    with db.session() as s:
        s.add(store.ModelActivation(version="v2"))  # as if activated by hand, past the checks
    assert holder.refresh() is False
    assert holder.version == "v1"
    assert not (b / "v2").exists()  # nothing unchecked reaches the cache


def test_activating_a_version_another_host_published_needs_no_local_copy(db, hosts, trained):
    a, b = hosts
    train_on(a, trained, "v1")
    store.publish(db, a, "v1")
    store.activate(db, b, "v1")  # an operator on host b
    assert store.active(db) == "v1" and (b / "v1" / "model.joblib").is_file()


def test_without_an_activation_in_sql_each_host_serves_its_shipped_default(db, hosts, trained):
    a, _ = hosts
    train_on(a, trained, "shipped")
    artifacts.activate(a, "shipped")  # models/ACTIVE as the repository ships it
    assert holder_of(db, a).get().version == "shipped"
    train_on(a, trained, "v2")
    store.activate(db, a, "v2")
    assert holder_of(db, a).get().version == "v2"


def test_rollback_follows_the_shared_history(db, hosts, trained):
    a, b = hosts
    train_on(a, trained, "v1")
    train_on(a, trained, "v2")
    store.activate(db, a, "v1")
    store.activate(db, a, "v2")
    assert store.rollback(db, b) == "v1"  # from another host
    assert store.active(db) == "v1"


def test_rollback_without_an_earlier_activation_says_so(db, hosts, trained):
    a, _ = hosts
    train_on(a, trained, "v1")
    store.activate(db, a, "v1")
    with pytest.raises(ModelError, match="no earlier"):
        store.rollback(db, a)


def test_training_publishes_the_version_and_list_shows_where_each_lives(db, hosts, trained, redis_url):
    a, b = hosts
    train_on(b, trained, "only-on-b")
    env = {"DATABASE_URL": db.url, "REDIS_URL": redis_url}
    train = ["model", "train", "--catalog", str(EXAMPLE_CATALOG)]
    r = CliRunner().invoke(main, train, env=env | {"MODELS_DIR": str(a)})
    assert r.exit_code == 0, r.output
    version = r.output.split()[1]
    listing = CliRunner().invoke(main, ["model", "list"], env=env | {"MODELS_DIR": str(b)}).output
    assert f"  {version}  " in listing and "this host only" not in listing.split(version)[1].splitlines()[0]
    assert "only-on-b" in listing and "this host only" in listing
    r = CliRunner().invoke(main, ["model", "activate", version], env=env | {"MODELS_DIR": str(b)})
    assert r.exit_code == 0, r.output
    assert store.active(db) == version
