"""CPU per Lua call on the request path: redis-py's Script() against `adserver.infra.lua.LuaScript`.

    python bench/redis_call.py [--calls 20000]

A private Redis over its Unix socket, the budget gate's client settings, a trivial script. CPU time of
this process (time.process_time), not wall time: waiting for Redis costs a busy web worker nothing,
the Python around the call is what it pays for on every decision.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adserver.infra.lua import LuaScript  # noqa: E402
from adserver.infra.redis_client import from_url as redis_client  # noqa: E402
from adserver.infra.redis_server import start_local  # noqa: E402

SCRIPT = "return redis.call('INCR', KEYS[1])"


def cpu_per_call(call, n: int) -> float:
    for _ in range(n // 10):
        call()
    t = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - t) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=20000)
    args = ap.parse_args()
    server = start_local()
    try:
        client = redis_client(server.socket_url)
        script, lua = client.register_script(SCRIPT), LuaScript(client, SCRIPT)
        rows = [
            ("redis-py Script()", lambda: script(keys=["n"])),
            ("execute_command('EVALSHA')", lambda: client.execute_command("EVALSHA", script.sha, 1, "n")),
            ("LuaScript()", lambda: lua(keys=["n"])),
        ]
        results = {name: cpu_per_call(call, args.calls) for name, call in rows}
        base = results["redis-py Script()"]
        for name, us in results.items():
            print(f"  {name:<28} {us:7.1f} µs CPU per call  ({us / base:.2f}x of Script())")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
