"""Optional dense text embedding (`pip install 'adserver[embedding]'`): a second opinion on an article's topic.

The vectors are WordLlama's static token embeddings (`wordllama` on PyPI, MIT; the l2_supercat 256-d weights
and their tokenizer ship inside its wheel, so nothing is downloaded). A text is the mean of its tokens'
vectors, L2-normalised, as `WordLlamaInference.embed(norm=True)` computes it. The weights are read from the
installed package, never copied into a model artifact: a model records the package, the model name and the
weights' sha256, and refuses to load when they are not installed or differ.

The model keeps one centroid per topic label (the mean embedding of that label's training documents) and
multiplies its topic probabilities by exp(SHARPNESS x cosine(article, centroid)): an article whose words the
TF-IDF classifier never saw still lands near the topic whose documents mean the same thing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from ..errors import AdserverError

PACKAGE = "wordllama"
MODEL = "l2_supercat"
DIM = 256
WEIGHTS = f"weights/{MODEL}_{DIM}.safetensors"
TOKENIZER = f"tokenizers/{MODEL}_tokenizer_config.json"
TENSOR = "embedding.weight"
EXTRA = "adserver[embedding]"
MAX_CHARS = 1000  # a text is embedded from its first characters (title, start of the summary): bounds request time
SHARPNESS = 10.0  # topic probabilities x exp(SHARPNESS x cosine to the label's centroid)


class EmbeddingUnavailable(AdserverError):
    """The embedding extra is not installed, or its weights are not the ones a model was trained with."""


@dataclass(frozen=True)
class EmbeddingSpec:
    """Which embedding a model was trained with; recorded in metadata.json, checked on load."""

    package: str
    package_version: str
    model: str
    dim: int
    weights_sha256: str

    def as_dict(self) -> dict:
        return {
            "package": self.package,
            "package_version": self.package_version,
            "model": self.model,
            "dim": self.dim,
            "weights_sha256": self.weights_sha256,
        }


def available() -> bool:
    """True when the embedding extra is installed (wordllama with its bundled weights, tokenizers, safetensors)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
        return (
            spec is not None
            and importlib.util.find_spec("tokenizers") is not None
            and importlib.util.find_spec("safetensors") is not None
            and _package_dir(spec).joinpath(WEIGHTS).is_file()
        )
    except (ImportError, ValueError):
        return False


def _package_dir(spec=None) -> Path:
    # Located without importing it: importing wordllama configures the root logger (logging.basicConfig).
    spec = spec or importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.origin:
        raise EmbeddingUnavailable(f"the dense embedding needs the optional extra: pip install '{EXTRA}'")
    return Path(spec.origin).parent


class Embedder:
    """WordLlama's token vectors and tokenizer, loaded once per process (about 33 MB as float32)."""

    def __init__(self, spec: EmbeddingSpec, vectors: np.ndarray, tokenizer):
        self.spec = spec
        self.vectors = vectors
        self.tokenizer = tokenizer

    def embed_one(self, text: str) -> np.ndarray:
        """One text as an L2-normalised vector (zeros for a text without tokens): the request path."""
        ids = self.tokenizer.encode(text[:MAX_CHARS], add_special_tokens=False).ids
        if not ids:
            return np.zeros(self.spec.dim, dtype=np.float32)
        v = self.vectors[ids].mean(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) L2-normalised rows; tokenised in one batch (training and index builds)."""
        out = np.zeros((len(texts), self.spec.dim), dtype=np.float32)
        encoded = self.tokenizer.encode_batch([t[:MAX_CHARS] for t in texts], add_special_tokens=False)
        for i, enc in enumerate(encoded):
            if enc.ids:
                v = self.vectors[enc.ids].mean(axis=0)
                n = float(np.linalg.norm(v))
                out[i] = v / n if n > 0 else v
        return out


_lock = threading.Lock()
_loaded: dict[str, Embedder] = {}  # the process's embedder, by weights checksum (owner: load_embedder)


def load_embedder(expected: EmbeddingSpec | None = None) -> Embedder:
    """The installed embedding, loaded once per process; EmbeddingUnavailable when it is missing or when its
    weights differ from `expected` (the ones a model was trained with)."""
    if not available():
        what = f" ({expected.package} {expected.package_version}, {expected.model})" if expected else ""
        raise EmbeddingUnavailable(f"the dense embedding{what} needs the optional extra: pip install '{EXTRA}'")
    with _lock:
        key = expected.weights_sha256 if expected else ""
        if key in _loaded:
            return _loaded[key]
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = _package_dir()
        weights = root / WEIGHTS
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        spec = EmbeddingSpec(PACKAGE, metadata.version(PACKAGE), MODEL, DIM, digest)
        if expected is not None and expected.weights_sha256 != digest:
            raise EmbeddingUnavailable(
                f"the model was trained with {expected.package} {expected.package_version} weights "
                f"(sha256 {expected.weights_sha256[:12]}…), the installed {spec.package} {spec.package_version} "
                f"ships other ones ({digest[:12]}…): retrain the model or install that version"
            )
        vectors = np.ascontiguousarray(load_file(str(weights))[TENSOR], dtype=np.float32)
        tokenizer = Tokenizer.from_file(str(root / TOKENIZER))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        embedder = Embedder(spec, vectors, tokenizer)
        _loaded[key] = _loaded[digest] = embedder
        return embedder


def forget_loaded() -> None:
    """Drop the process's loaded embedder (tests simulating a missing extra)."""
    with _lock:
        _loaded.clear()


@dataclass
class EmbeddingTopics:
    """Label centroids in embedding space, and how sharply they reweigh the classifier's topic probabilities."""

    spec: EmbeddingSpec
    centroids: np.ndarray  # (labels, dim) float32, L2-normalised rows (zeros for a label without documents)
    sharpness: float = SHARPNESS
    _embedder: Embedder | None = field(default=None, repr=False, compare=False)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[int],
        weights: Sequence[float],
        n_labels: int,
        sharpness: float = SHARPNESS,
    ) -> EmbeddingTopics:
        """Weighted mean embedding of each label's documents."""
        embedder = load_embedder()
        x = embedder.embed(list(texts))
        w = np.asarray(weights, dtype=np.float32)[:, None]
        centroids = np.zeros((n_labels, embedder.spec.dim), dtype=np.float32)
        np.add.at(centroids, np.asarray(labels, dtype=np.int64), x * w)
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        centroids = np.divide(centroids, norms, out=np.zeros_like(centroids), where=norms > 0)
        out = cls(embedder.spec, centroids, sharpness)
        out._embedder = embedder
        return out

    def embedder(self) -> Embedder:
        e = self._embedder
        if e is None:
            e = self._embedder = load_embedder(self.spec)
        return e

    def reweigh(self, probs: np.ndarray, text: str) -> np.ndarray:
        """probs x exp(sharpness x cosine(text, each label's centroid)), renormalised."""
        cos = self.centroids @ self.embedder().embed_one(text)
        z = self.sharpness * cos
        z = probs * np.exp(z - z.max())
        total = float(z.sum())
        return z / total if total > 0 else probs

    def __getstate__(self) -> dict:
        return {"spec": self.spec, "centroids": self.centroids, "sharpness": self.sharpness, "_embedder": None}
