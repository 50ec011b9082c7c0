"""The baseline for bench/decision.py: a bare Flask endpoint returning {"ok": true}, same gunicorn setup."""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/ok")
    @app.get("/ok")
    def ok():
        return {"ok": True}

    return app
