"""Random ids for decisions and requests."""

from __future__ import annotations

import os


def random_id() -> str:
    """`uuid.uuid4().hex`, the same 32 characters (version 4, RFC 4122 variant), without building a `UUID`:
    a decision makes two (its own and its request's), and the object costs several times the random bytes."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return b.hex()
