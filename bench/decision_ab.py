"""In-process decision cost of two checkouts, interleaved on the same load (before/after a change).

    python bench/decision_ab.py BEFORE_DIR AFTER_DIR [--rounds 6]

Each checkout runs in a long-lived process of its own, with the app `bench/decision.py --rules` builds for
its baseline; both share one Redis. Round by round, in alternating order, each times 1,500 decisions of one
article (its plan cached) and 300 of new articles: CPU time of the request thread per request. Medians, and
the ratio to the first checkout round by round (`git worktree add DIR COMMIT` gives a checkout to compare).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKLOADS = (("one article", 1500), ("new articles", 300))


def serve(root: Path, redis_url: str) -> None:
    """The measuring process for one checkout: reads 'WORKLOAD N' lines, prints CPU us per request."""
    sys.path[:0] = [str(root / "bench"), str(root)]
    os.chdir(root)
    import decision as d
    from common import inprocess_app
    from werkzeug.test import EnvironBuilder

    tmp = Path(tempfile.mkdtemp(prefix="adserver-ab-"))
    app = inprocess_app(tmp, 0, d.rules_catalog({}), redis_url)
    article = {k: v for k, v in d.BODY["article"].items() if k != "sentiment"}
    counter = 0

    def environ(i: int | None) -> dict:
        a = dict(article, title=f"{article['title']}, part {i}") if i is not None else article
        payload = {"placement": "article-footer", "article": a, "site": d.BENCH_SITE["id"]}
        headers = {"User-Agent": d.DESKTOP, "Origin": "https://www.news.example"}
        b = EnvironBuilder(path="/v1/decision", method="POST", json=payload, headers=headers)
        return b.get_environ() | {"REMOTE_ADDR": d.GERMAN_READER}

    def run(envs: list[dict]) -> float:
        raw = [e["wsgi.input"].read() for e in envs]
        status = []
        t = time.thread_time()
        for e, data in zip(envs, raw, strict=True):
            e["wsgi.input"] = io.BytesIO(data)
            for _ in app(e, lambda s, h, exc_info=None: status.append(s)):
                pass
        elapsed = time.thread_time() - t
        if any(not s.startswith("200") for s in status):
            raise SystemExit(f"a decision failed in {root}")
        return elapsed / len(envs) * 1e6

    run([environ(None) for _ in range(300)])
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            workload, n = line.rsplit(" ", 1)
            if workload == "one article":
                envs = [environ(None) for _ in range(int(n))]
            else:
                envs = [environ(counter + i) for i in range(int(n))]
                counter += int(n)
            print(f"{run(envs):.1f}", flush=True)
    finally:
        app.extensions["adserver"].close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkouts", nargs="*", type=Path)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--serve", nargs=2, metavar=("DIR", "REDIS_URL"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve[0]).resolve(), args.serve[1])
        return
    if len(args.checkouts) < 2:
        ap.error("give two checkouts (before, after)")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from adserver.infra.redis_server import start_local

    redis = start_local()
    trees = [str(c.resolve()) for c in args.checkouts]
    procs = {
        t: subprocess.Popen(
            [sys.executable, __file__, "--serve", t, redis.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for t in trees
    }
    try:
        for p in procs.values():
            if p.stdout.readline().strip() != "ready":
                raise SystemExit("a checkout did not start")
        times: dict[tuple[str, str], list[float]] = {(t, w): [] for t in trees for w, _ in WORKLOADS}
        for r in range(args.rounds):
            for t in trees if r % 2 == 0 else trees[::-1]:
                for workload, n in WORKLOADS:
                    procs[t].stdin.write(f"{workload} {n}\n")
                    procs[t].stdin.flush()
                    times[(t, workload)].append(float(procs[t].stdout.readline()))
    finally:
        for p in procs.values():
            p.stdin.close()
            p.wait(60)
        redis.stop()
    print(f"CPU per request, in-process POST /v1/decision, {args.rounds} interleaved rounds; medians")
    for workload, _ in WORKLOADS:
        print(f"{workload}:")
        for t in trees:
            ratios = [a / b for a, b in zip(times[(t, workload)], times[(trees[0], workload)], strict=True)]
            print(
                f"  {t:<40} {statistics.median(times[(t, workload)]):7.0f} us  {statistics.median(ratios):.3f}x"
                f"   [rounds: {', '.join(f'{x:.2f}' for x in ratios)}]"
            )


if __name__ == "__main__":
    main()
