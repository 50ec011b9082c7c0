"""Tables for a terminal, laid out as tabulate's "simple" format: within 100 columns by wrapping the
columns that read well wrapped; `--wide` keeps every cell on one line (for wide terminals and grep)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import click

WIDTH = 100
GAP = "  "

wide_option = click.option("--wide", is_flag=True, help="One line per row, however wide (default: fit 100 columns).")


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _wrapped(text: str, width: int) -> list[str]:
    out = []
    for line in text.splitlines() or [""]:
        out += textwrap.wrap(line, width, break_on_hyphens=False) or [""]
    return out


def table(
    rows: Sequence[Sequence],
    headers: Sequence[str],
    *,
    wrap: dict[int, int] | None = None,
    wide: bool = False,
) -> str:
    """`rows` under `headers`. `wrap` maps a column's index to the narrowest it may be wrapped to; the
    column with the most room to give is narrowed first until the table fits WIDTH (or none can give)."""
    cells = [[("" if v is None else f"{v:g}" if isinstance(v, float) else str(v)) for v in r] for r in rows]
    widths = [
        max(len(line) for text in [h, *(r[i] for r in cells)] for line in text.splitlines() or [""])
        for i, h in enumerate(headers)
    ]
    room = {i: m for i, m in (wrap or {}).items() if not wide}
    while (over := sum(widths) + len(GAP) * (len(widths) - 1) - WIDTH) > 0:
        i = max(room, key=lambda c: widths[c] - room[c], default=None)
        if i is None or widths[i] <= room[i]:
            break
        widths[i] -= min(over, widths[i] - room[i])
    right = [bool(rows) and all(_number(r[i]) or r[i] is None for r in rows) for i in range(len(headers))]

    def lines(row: Sequence[str]) -> list[str]:
        parts = [_wrapped(text, w) if i in room else text.splitlines() or [""] for i, (text, w) in
                 enumerate(zip(row, widths, strict=True))]  # fmt: skip
        return [
            GAP.join(
                (p[n] if n < len(p) else "").rjust(w) if r else (p[n] if n < len(p) else "").ljust(w)
                for p, w, r in zip(parts, widths, right, strict=True)
            ).rstrip()
            for n in range(max(len(p) for p in parts))
        ]

    out = lines(list(headers)) + [GAP.join("-" * w for w in widths)]
    for row in cells:
        out += lines(row)
    return "\n".join(out)
