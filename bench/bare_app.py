"""The baseline: a bare Flask endpoint returning {"ok": true}, served by the same gunicorn setup."""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/bare")
    @app.get("/bare")
    def bare():
        return {"ok": True}

    return app
