"""The topic reader's sentence encoder: a static model distilled once from all-MiniLM-L6-v2 (model2vec).

A text is the mean of its tokens' vectors: no torch, read offline from the files in
`data/encoder/` (how they were built: its NOTICE.md and `scripts/build-encoder`). Their sha256 is pinned here,
so a serving process refuses any other bytes instead of reading articles with the wrong model.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import AdserverError

NAME = "minilm-l6-static-256"
SHA256 = {
    "model.safetensors": "e79551e309c0dda899ad94d7bf4b555cd478a6ff8d552258b737f84fa3be8b2f",
    "tokenizer.json": "dd33465341c98889c3338356b6200c8b232b89af5f1b7aa8e6ee1d4d7a699631",
}
MAX_CHARS = 1000  # an article is read from its first characters (title, start of the summary): bounds request work


class EncoderUnavailable(AdserverError):
    """The encoder's files are missing or are not the pinned ones."""


def default_path() -> Path:
    return Path(str(resources.files(__package__).joinpath("data/encoder")))


class Encoder:
    """Texts to L2-normalised 256-d vectors."""

    def __init__(self, path: Path | None = None):
        from model2vec import StaticModel  # imported here: only processes that read articles pay for it

        path = path or default_path()
        for name, expected in SHA256.items():
            f = path / name
            if not f.is_file():
                raise EncoderUnavailable(f"the topic reader's encoder is missing {f}")
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            if digest != expected:
                raise EncoderUnavailable(
                    f"{f} has sha256 {digest[:12]}…, expected {expected[:12]}…: reinstall adserver "
                    "or rebuild the encoder with scripts/build-encoder"
                )
        self.name = NAME
        self._model = StaticModel.from_pretrained(str(path), normalize=True)
        self.dim = int(self._model.dim)
        # The request path reads one article at a time: model2vec's batch machinery (progress bar, tokenizer
        # reconfiguration per call) costs more than the arithmetic, so `embed_one` does the same sums directly
        # on a float32 copy of the table (30 MB per process; equal to `embed` to 1e-3, a test checks).
        self._table = np.asarray(self._model.embedding, dtype=np.float32)
        self._tokenizer = self._model.tokenizer
        self._unk = self._model.unk_token_id

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows, L2-normalised (zeros for a text without known tokens)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode([t[:MAX_CHARS] for t in texts], use_multiprocessing=False, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        ids = self._tokenizer.encode(text[:MAX_CHARS], add_special_tokens=False).ids
        if self._unk is not None:
            ids = [i for i in ids if i != self._unk]
        return self._mean(ids)

    def embed_head(self, text: str, head: int) -> tuple[np.ndarray, np.ndarray]:
        """`embed_one(text)` and the embedding of its first `head` characters (an article's title), from one
        tokenisation: the tone reader reads the headline apart, where a lead's other words do not dilute it."""
        got = self._tokenizer.encode(text[:MAX_CHARS], add_special_tokens=False)
        ids, offsets = got.ids, got.offsets
        if self._unk is not None and self._unk in ids:
            kept = [k for k, i in enumerate(ids) if i != self._unk]
            ids, offsets = [ids[k] for k in kept], [offsets[k] for k in kept]
        if not ids:
            zero = np.zeros(self.dim, dtype=np.float32)
            return zero, zero
        rows = self._table[ids]
        n = bisect.bisect_right(offsets, head, key=lambda o: o[1])  # tokens ending within the head
        return _unit(rows.mean(axis=0)), _unit(rows[:n].mean(axis=0)) if n else np.zeros(self.dim, dtype=np.float32)

    def _mean(self, ids: list[int]) -> np.ndarray:
        if not ids:
            return np.zeros(self.dim, dtype=np.float32)
        return _unit(self._table[ids].mean(axis=0))


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


_lock = threading.Lock()
_loaded: Encoder | None = None  # the process's encoder (owner: `load_encoder`)


def load_encoder() -> Encoder:
    """The shipped encoder, loaded and checked once per process."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = Encoder()
    return _loaded
