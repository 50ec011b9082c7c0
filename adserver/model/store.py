"""Model versions in SQL, so every web node and worker on every host serves the same model.

A trained version is published as a row (artifact bytes, metadata, sha256); the newest row of
`model_activations` is the active version. The models directory is each host's cache: a version missing
there is written from SQL (checked against its sha256) before `artifacts.load` checks it again and loads
it. With no activation in SQL yet, hosts serve the models directory's own ACTIVE (the shipped default).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..infra.storage import Database, ModelActivation, ModelVersion
from . import artifacts
from .artifacts import ARTIFACT, METADATA, ModelError


def active(db: Database) -> str | None:
    """The version every host serves: the newest activation (None when nothing was ever activated in SQL)."""
    with db.sessionmaker() as s:
        return s.scalar(select(ModelActivation.version).order_by(ModelActivation.id.desc()).limit(1))


def served(db: Database, models_dir: Path) -> str | None:
    """The SQL's active version, else the models directory's ACTIVE (the shipped default)."""
    return active(db) or artifacts.active_version(models_dir)


def publish(db: Database, models_dir: Path, version: str) -> bool:
    """Store a version of the local models directory in SQL (checked and loadable first); False if there."""
    with db.sessionmaker() as s:
        if s.get(ModelVersion, version) is not None:
            return False
    artifacts.load(models_dir, version)  # refuses a tampered, oversized or incompatible artifact
    d = artifacts.version_dir(models_dir, version)
    meta = artifacts.read_metadata(models_dir, version)
    data = (d / ARTIFACT).read_bytes()
    with db.session() as s:
        s.add(ModelVersion(version=version, artifact=data, artifact_sha256=meta["artifact_sha256"], meta=meta))
    return True


def cache(db: Database, models_dir: Path, version: str) -> None:
    """Make sure the models directory holds `version`, writing it from SQL when it does not."""
    d = artifacts.version_dir(models_dir, version)
    if (d / METADATA).is_file():
        return
    with db.sessionmaker() as s:
        row = s.execute(
            select(ModelVersion.artifact, ModelVersion.artifact_sha256, ModelVersion.meta).where(
                ModelVersion.version == version
            )
        ).one_or_none()
    if row is None:
        raise ModelError(f"model {version} is in neither {models_dir} nor the database")
    data, sha, meta = row
    if hashlib.sha256(data).hexdigest() != sha or meta.get("artifact_sha256") != sha:
        raise ModelError(f"model {version}: the artifact in the database does not match its sha256; refused")
    Path(models_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=models_dir))
    try:
        (tmp / ARTIFACT).write_bytes(data)
        (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        try:
            os.rename(tmp, d)  # atomic; another process of this host may have won the race
        except OSError:
            if not (d / METADATA).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def activate(db: Database, models_dir: Path, version: str, note: str = "") -> dict:
    """Serve `version` on every host: published from the local directory if SQL lacks it, loaded once
    here (a broken model is never activated), then recorded as the newest activation."""
    with db.sessionmaker() as s:
        known = s.get(ModelVersion, version) is not None
    if known:
        cache(db, models_dir, version)
        artifacts.load(models_dir, version)
    else:
        publish(db, models_dir, version)
    with db.session() as s:
        s.add(ModelActivation(version=version, note=note))
    return artifacts.read_metadata(models_dir, version)


def rollback(db: Database, models_dir: Path) -> str:
    """Re-activate the version served before the current one: the previous in the shared history, else
    (after the first activation in SQL) the models directory's own, the shipped default; returns it."""
    with db.sessionmaker() as s:
        history = list(s.scalars(select(ModelActivation.version).order_by(ModelActivation.id)))
    current = history[-1] if history else None
    previous = [v for v in history if v != current] or [
        v for v in [artifacts.active_version(models_dir)] if v is not None and v != current
    ]
    if not previous:
        raise ModelError("no earlier activated model to roll back to")
    activate(db, models_dir, previous[-1], note="rollback")
    return previous[-1]


def versions(db: Database, models_dir: Path) -> list[dict]:
    """Every version in SQL, and those only in the local directory (`local_only`), oldest first;
    `active` marks the served one."""
    current = served(db, models_dir)
    with db.sessionmaker() as s:
        shared = {v: meta for v, meta in s.execute(select(ModelVersion.version, ModelVersion.meta))}
    out = [{**meta, "version": v, "active": v == current, "local_only": False} for v, meta in shared.items()]
    for local in artifacts.list_versions(models_dir):
        if local["version"] not in shared:
            out.append({**local, "active": local["version"] == current, "local_only": True})
    return sorted(out, key=lambda v: v["version"])


class SharedVersions:
    """A `ModelHolder`'s source on a host that shares SQL with the others: the version SQL names, cached
    locally. SQL being away is a `ModelError`: the holder keeps serving what it has."""

    def __init__(self, db: Database, models_dir: Path):
        self.db, self.models_dir = db, Path(models_dir)

    def served(self) -> str | None:
        try:
            return served(self.db, self.models_dir)
        except SQLAlchemyError as e:
            raise ModelError(f"cannot read the active model from the database ({type(e).__name__})") from None

    def fetch(self, version: str) -> None:
        try:
            cache(self.db, self.models_dir, version)
        except SQLAlchemyError as e:
            raise ModelError(f"cannot read model {version} from the database ({type(e).__name__})") from None
