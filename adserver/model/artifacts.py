"""Versioned model artifacts under the configured models directory, and the per-process `ModelHolder`.

Layout: `<MODELS_DIR>/<version>/model.joblib` + `metadata.json` (sklearn version, training fingerprint, sizes,
training time, evaluation metrics, sha256 of model.joblib); `ACTIVE` names the served version (empty: none, the
overlap ranker) and `HISTORY` lists activations (for rollback). Loading verifies the checksum before
unpickling, refuses paths outside the models directory and a model pickled by another scikit-learn minor
version. The repository's `models/` is the shipped default, never written: a models directory without an
ACTIVE file starts as a copy of it (`seed`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import joblib
import sklearn

from ..errors import AdserverError
from ..infra.poller import Poller
from ..settings import ROOT
from . import embedding
from .relevance import RelevanceModel

log = logging.getLogger(__name__)

ARTIFACT = "model.joblib"
METADATA = "metadata.json"
ACTIVE = "ACTIVE"
HISTORY = "HISTORY"
MAX_ARTIFACT_BYTES = 20 * 1024 * 1024
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SHIPPED = ROOT / "models"  # the model a fresh install serves: tracked in git, read only


class ModelError(AdserverError):
    """A model artifact is missing, tampered with, too large, or built for another scikit-learn."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _minor(v: str) -> tuple[str, ...]:
    return tuple(v.split(".")[:2])


def version_dir(models_dir: Path, version: str) -> Path:
    """The folder of a version, refusing names that could leave the models directory."""
    if not VERSION_RE.match(version or ""):
        raise ModelError(f"invalid model version {version!r}")
    root = Path(models_dir).resolve()
    d = (root / version).resolve()
    if d.parent != root:
        raise ModelError(f"model version {version!r} is outside {root}")
    return d


def new_version(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def save(models_dir: Path, model: RelevanceModel, info: dict, version: str | None = None) -> Path:
    """Write a new version folder; returns it. Raises ModelError when the artifact exceeds `MAX_ARTIFACT_BYTES`."""
    version = version or new_version()
    d = version_dir(models_dir, version)
    d.mkdir(parents=True, exist_ok=False)
    model.version = version
    path = d / ARTIFACT
    joblib.dump(model, path, compress=3)
    size = path.stat().st_size
    if size > MAX_ARTIFACT_BYTES:
        path.unlink()
        d.rmdir()
        raise ModelError(f"model artifact is {size / 1e6:.1f} MB, over the 20 MB limit")
    meta = {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(),
        "sklearn_version": sklearn.__version__,
        "artifact": ARTIFACT,
        "artifact_sha256": sha256_file(path),
        "artifact_bytes": size,
        **info,
        # The embedding weights stay in their package: the artifact names them (package, model, sha256).
        "embedding": model.embedding.spec.as_dict() if model.embedding is not None else None,
    }
    (d / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return d


def read_metadata(models_dir: Path, version: str) -> dict:
    p = version_dir(models_dir, version) / METADATA
    try:
        return json.loads(p.read_text())
    except FileNotFoundError:
        raise ModelError(f"model {version} has no {METADATA} in {p.parent}") from None
    except json.JSONDecodeError as e:
        raise ModelError(f"model {version}: {METADATA} is not valid JSON ({e})") from None


def update_metadata(models_dir: Path, version: str, **fields) -> dict:
    meta = read_metadata(models_dir, version)
    meta.update(fields)
    (version_dir(models_dir, version) / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return meta


def load(models_dir: Path, version: str) -> RelevanceModel:
    """Load a version after checking its sklearn version and checksum; ModelError says what is wrong."""
    meta = read_metadata(models_dir, version)
    trained_with = str(meta.get("sklearn_version", "?"))
    if _minor(trained_with) != _minor(sklearn.__version__):
        raise ModelError(
            f"model {version} was trained with scikit-learn {trained_with}, this process has "
            f"{sklearn.__version__}: retrain it (`adserver model train`) or install scikit-learn {trained_with}"
        )
    path = version_dir(models_dir, version) / ARTIFACT
    if not path.is_file():
        raise ModelError(f"model {version} has no {ARTIFACT}")
    if path.stat().st_size > MAX_ARTIFACT_BYTES:
        raise ModelError(f"model {version} artifact exceeds 20 MB; refused")
    digest = sha256_file(path)
    if digest != meta.get("artifact_sha256"):
        raise ModelError(f"model {version}: {ARTIFACT} does not match the checksum in {METADATA} (tampered?); refused")
    needs = meta.get("embedding")
    if needs and not embedding.available():
        raise ModelError(
            f"model {version} uses the dense embedding ({needs.get('package')} {needs.get('package_version')}, "
            f"{needs.get('model')} {needs.get('dim')}-d), which is not installed: pip install '{embedding.EXTRA}'"
        )
    model = joblib.load(path)
    if not isinstance(model, RelevanceModel):
        raise ModelError(f"model {version}: {ARTIFACT} is not a relevance model")
    if model.embedding is not None:
        try:  # load the weights now (and check their sha256), not on the first request
            model.embedding.embedder()
        except embedding.EmbeddingUnavailable as e:
            raise ModelError(f"model {version}: {e}") from None
    model.version = version
    return model


def list_versions(models_dir: Path) -> list[dict]:
    """Every version folder with its metadata, oldest first; `active` marks the served one."""
    root = Path(models_dir)
    if not root.is_dir():
        return []
    active = active_version(root)
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and (p / METADATA).is_file()):
        try:
            meta = read_metadata(root, d.name)
        except ModelError as e:
            meta = {"error": str(e)}
        out.append({"version": d.name, "active": d.name == active, **meta})
    return out


def active_version(models_dir: Path) -> str | None:
    try:
        v = (Path(models_dir) / ACTIVE).read_text().strip()
    except FileNotFoundError:
        return None
    return v or None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def seed(models_dir: Path, shipped: Path = SHIPPED) -> bool:
    """Give a models directory that was never written (no ACTIVE) the shipped versions, ACTIVE and HISTORY, so
    a fresh install serves the shipped model while training and activation write only here. True when it did.

    Safe when several processes start at once: each version is copied aside and renamed into place (a rename
    that finds the version there already drops its copy), and ACTIVE, written last, is replaced atomically."""
    root = Path(models_dir)
    if (root / ACTIVE).exists() or not (shipped / ACTIVE).is_file() or root.resolve() == shipped.resolve():
        return False
    root.mkdir(parents=True, exist_ok=True)
    for d in sorted(p for p in shipped.iterdir() if p.is_dir() and (p / METADATA).is_file()):
        if (root / d.name).exists():
            continue
        tmp = root / f".{d.name}.{os.getpid()}.tmp"
        shutil.copytree(d, tmp)
        try:
            os.rename(tmp, root / d.name)
        except OSError:  # another process put it there first
            shutil.rmtree(tmp)
    if (shipped / HISTORY).is_file() and not (root / HISTORY).exists():
        _write_atomic(root / HISTORY, (shipped / HISTORY).read_text())
    _write_atomic(root / ACTIVE, (shipped / ACTIVE).read_text())
    log.info("models directory %s seeded with the shipped model %s", root, active_version(root))
    return True


def activate(models_dir: Path, version: str) -> dict:
    """Point ACTIVE at a version after loading it once (a broken model is never activated)."""
    load(models_dir, version)
    root = Path(models_dir)
    _write_atomic(root / ACTIVE, version + "\n")
    with open(root / HISTORY, "a") as f:
        f.write(f"{datetime.now(UTC).isoformat()}\t{version}\n")
    return read_metadata(models_dir, version)


def rollback(models_dir: Path) -> str:
    """Re-activate the version active before the current one; returns it."""
    root = Path(models_dir)
    try:
        history = [line.split("\t")[1].strip() for line in (root / HISTORY).read_text().splitlines() if "\t" in line]
    except FileNotFoundError:
        history = []
    current = active_version(root)
    previous = [v for v in history if v != current]
    if not previous:
        raise ModelError("no earlier activated model to roll back to")
    target = previous[-1]
    load(models_dir, target)
    _write_atomic(root / ACTIVE, target + "\n")
    with open(root / HISTORY, "a") as f:
        f.write(f"{datetime.now(UTC).isoformat()}\t{target}\trollback\n")
    return target


class VersionSource(Protocol):
    """What a `ModelHolder` serves: `served()` names the version, `fetch(version)` puts it in the models directory."""

    def served(self) -> str | None: ...

    def fetch(self, version: str) -> None: ...


class LocalVersions:
    """This host's models directory alone: its ACTIVE file names the version (no SQL: tests, tools)."""

    def __init__(self, models_dir: Path):
        self.models_dir = Path(models_dir)

    def served(self) -> str | None:
        return active_version(self.models_dir)

    def fetch(self, version: str) -> None:
        """Nothing to fetch: the directory is the only source."""


@dataclass
class _Loaded:
    version: str
    model: RelevanceModel


class ModelHolder:
    """Owns this process's active model; a background thread swaps in a newly activated version.

    Requests read one reference (no lock, no I/O); a failed load keeps the last good model and logs why.
    """

    def __init__(self, models_dir: Path, poll_seconds: float = 2.0, source: VersionSource | None = None):
        self.models_dir = Path(models_dir)
        self.source = source or LocalVersions(self.models_dir)  # `store.SharedVersions`: the version in SQL
        self._loaded: _Loaded | None = None
        self._poller = Poller("model-poller", self.refresh, poll_seconds)

    def get(self) -> RelevanceModel | None:
        self._poller.ensure()
        loaded = self._loaded
        return loaded.model if loaded else None

    @property
    def version(self) -> str | None:
        loaded = self._loaded
        return loaded.version if loaded else None

    def refresh(self) -> bool:
        """Load the served version when it changed; True when a new model was swapped in."""
        try:
            version = self.source.served()
            if version is None or (self._loaded and self._loaded.version == version):
                return False
            self.source.fetch(version)
            model = load(self.models_dir, version)
        except ModelError as e:
            log.error("active model not loaded, keeping %s: %s", self.version, e)
            return False
        self._loaded = _Loaded(version, model)
        log.info("model %s active", version)
        return True

    def stop(self) -> None:
        self._poller.stop()
