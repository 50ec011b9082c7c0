"""The baseline: a bare Flask endpoint returning {"ok": true}, served by the same gunicorn setup.

`/bare-redis` adds one Redis round trip (a trivial Lua script, over REDIS_URL) and nothing else: the
floor of any design that asks Redis once per decision, as the budget gate does."""

import os

import redis
from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    script = client.register_script("return 1")

    @app.post("/bare")
    @app.get("/bare")
    def bare():
        return {"ok": True}

    @app.post("/bare-redis")
    def bare_redis():
        script()
        return {"ok": True}

    return app
