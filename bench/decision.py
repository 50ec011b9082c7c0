"""Decision API benchmark: POST /v1/decision vs a bare Flask endpoint, same gunicorn setup, same run.

Starts a private Redis and a throwaway SQLite database, loads the example catalog (padded to 12 campaigns)
and later 1,000 generated campaigns, runs gunicorn (WEB_CONCURRENCY workers, default 2) for the adserver
and for bench/bare_app.py, and drives load from separate processes: wrk when installed (peak throughput),
else bench/load.py; the latency-at-half-peak run always uses bench/load.py with a rate limit.

    python bench/decision.py [--seconds 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adserver import migrate, redis_server  # noqa: E402
from adserver.catalog_file import import_catalog, read_file  # noqa: E402
from adserver.storage import Database  # noqa: E402

GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
TOPICS = [
    "artificial-intelligence", "machine-learning", "robotics", "programming", "developer-tools", "security",
    "climate", "energy", "finance", "markets", "health", "science", "space", "travel", "food", "sports",
    "politics", "education", "gaming", "music", "film", "cars", "housing", "retail", "telecoms",
]  # fmt: skip
WORDS = [f"{a}{b}" for a in ("cloud", "data", "green", "smart", "open", "fast", "net", "bio") for b in range(40)]
ARTICLES = [
    {"topic": "artificial-intelligence", "keywords": ["agents", "llm", "nvidia"], "title": "Agents at work"},
    {"topic": "robotics", "keywords": ["physical-ai", "japan"], "title": "Japan's race for physical AI"},
    {"topic": "programming", "keywords": ["open-source", "developers"], "title": "A new release"},
    {"topic": "climate", "keywords": ["green3", "energy"], "title": "Heat records again"},
    {"topic": "finance", "keywords": ["markets", "data7"], "title": "Rates on hold"},
    {"topic": "sports", "keywords": ["fast2"], "title": "Final tonight"},
]


def generated_campaigns(template: dict, n: int, seed: int = 7) -> dict:
    """`n` active campaigns (one per advertiser) with random topics and keywords, from one template."""
    rnd = random.Random(seed)
    advertisers = []
    for i in range(n):
        c = copy.deepcopy(template)
        c["id"] = f"bench-campaign-{i}"
        c["name"] = f"Bench campaign {i}"
        c["status"] = "active"
        c.pop("starts_on", None)
        c.pop("ends_on", None)
        c["targeting"] = {
            "topics": rnd.sample(TOPICS, 3),
            "keywords": rnd.sample(WORDS, 8),
            "exclude_keywords": rnd.sample(WORDS, 2),
            "languages": ["en"],
        }
        for j, cr in enumerate(c["creatives"]):
            cr["id"] = f"bench-creative-{i}-{j}"
        advertisers.append({"id": f"bench-advertiser-{i}", "name": f"Bench advertiser {i}", "campaigns": [c]})
    return {"advertisers": advertisers}


class Gunicorn:
    """One gunicorn master on a loopback port, stopped on exit."""

    def __init__(self, app: str, env: dict, cwd: Path):
        self.port = redis_server.free_port()
        env = dict(env, HOST="127.0.0.1", PORT=str(self.port), GUNICORN_LOG_LEVEL="warning")
        exe = Path(sys.executable).parent / "gunicorn"
        cmd = [str(exe) if exe.exists() else "gunicorn", "-c", str(GUNICORN_CONF), app]
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd)

    def wait(self, path: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn on {self.port} did not answer {path}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


WRK_LUA = """
local bodies = {%s}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end
"""


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    number, unit = float(m.group(1)), m.group(2)
    return number / 1000 if unit == "us" else number * 1000 if unit == "s" else number


def run_wrk(port: int, path: str, bodies: list, seconds: float, connections: int, tmp: Path) -> dict:
    script = tmp / "bodies.lua"
    script.write_text(WRK_LUA % ", ".join("[[" + json.dumps(b) + "]]" for b in bodies))
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    return {"rps": rps, "p50_ms": _ms(lat["50"]), "p99_ms": _ms(lat["99"]), "errors": errors, "tool": "wrk"}


def run_python(port: int, path: str, bodies: list, seconds: float, threads: int, tmp: Path, rate: float = 0) -> dict:
    file = tmp / "bodies.json"
    file.write_text(json.dumps(bodies))
    load = str(ROOT / "bench" / "load.py")
    cmd = [sys.executable, load, "--port", str(port), "--path", path, "--bodies", str(file)]
    cmd += ["--threads", str(threads), "--seconds", str(seconds), "--rate", str(rate)]
    result = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    return {**result, "tool": "bench/load.py" + (f" @ {rate:.0f}/s" if rate else "")}


def peak(port: int, path: str, bodies: list, args, tmp: Path) -> dict:
    if shutil.which("wrk") and not args.python_load:
        return run_wrk(port, path, bodies, args.seconds, args.connections, tmp)
    return run_python(port, path, bodies, args.seconds, args.connections, tmp)


def line(name: str, r: dict) -> str:
    return (
        f"  {name:<34} {r['rps']:>9.0f} req/s   p50 {r['p50_ms']:>6.2f} ms   p99 {r['p99_ms']:>6.2f} ms"
        f"   errors {r.get('errors', 0)}   ({r['tool']})"
    )


def measure(label: str, env: dict, args, tmp: Path, bodies: list) -> dict:
    decision_srv = Gunicorn("adserver:create_app()", env, ROOT)
    bare_srv = Gunicorn("bare_app:create_app()", env, ROOT / "bench")
    try:
        decision_srv.wait("/readyz")
        bare_srv.wait("/ok")
        # Warm both (imports, catalog snapshot, connection pools) before measuring.
        run_python(decision_srv.port, "/v1/decision", bodies, 2, 2, tmp)
        run_python(bare_srv.port, "/ok", [{"x": 1}], 1, 2, tmp)
        bare = peak(bare_srv.port, "/ok", [{"x": 1}], args, tmp)
        dec = peak(decision_srv.port, "/v1/decision", bodies, args, tmp)
        half = run_python(decision_srv.port, "/v1/decision", bodies, args.seconds, 4, tmp, rate=dec["rps"] / 2)
    finally:
        decision_srv.stop()
        bare_srv.stop()
    ratio = dec["rps"] / bare["rps"]
    print(f"\n{label}")
    print(line("bare Flask GET/POST /ok", bare))
    print(line("POST /v1/decision (peak)", dec))
    print(line("POST /v1/decision (50% of peak)", half))
    print(f"  decision/bare throughput ratio: {ratio:.2f}")
    return {"bare": bare, "decision": dec, "half": half, "ratio": ratio}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--campaigns", type=int, default=1000)
    p.add_argument("--python-load", action="store_true", help="use bench/load.py even when wrk is installed")
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="adserver-bench-"))
    redis = redis_server.start_local()
    db_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        REDIS_URL=redis.url,
        WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "2"),
        PYTHONPATH=str(ROOT),
    )
    bodies = [{"placement": "article-footer", "article": a} for a in ARTICLES]
    try:
        db = Database(db_url)
        migrate.upgrade(db)
        example = read_file(ROOT / "config" / "catalog.example.yaml")
        import_catalog(db, example)
        template = example["advertisers"][0]["campaigns"][0]
        n_example = sum(len(a.get("campaigns", [])) for a in example["advertisers"])
        pad = max(0, 12 - n_example)
        if pad:
            import_catalog(db, generated_campaigns(template, pad))
        print(f"workers: {env['WEB_CONCURRENCY']}  cores: {os.cpu_count()}  (figures are noisy on a shared machine)")
        small = measure(f"{n_example + pad} campaigns ({n_example} example + {pad} generated)", env, args, tmp, bodies)
        import_catalog(db, generated_campaigns(template, args.campaigns))
        db.dispose()
        total = n_example + args.campaigns
        big = measure(f"{total} campaigns ({n_example} example + {args.campaigns} generated)", env, args, tmp, bodies)
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\ntargets: ratio >= 0.6 (12 campaigns), >= 0.4 (1,000); p99 < 15 ms at 50% of peak")
    ok = small["ratio"] >= 0.6 and big["ratio"] >= 0.4 and max(small["half"]["p99_ms"], big["half"]["p99_ms"]) < 15
    print("result: " + ("all targets met" if ok else "some targets missed"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
