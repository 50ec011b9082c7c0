"""Liveness and readiness probes."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import text

from . import Blueprint, services
from .schemas import HealthSchema

blp = Blueprint("health", __name__, description="Probes for load balancers and orchestrators")


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="Redis or SQL unreachable")
    def get(self):
        """Redis and SQL are reachable, and the catalog snapshot is loaded."""
        svc = services()
        checks = {}
        try:
            svc.redis.ping()
            checks["redis"] = "ok"
        except Exception as e:  # report, don't raise: this is the probe's whole job
            checks["redis"] = f"error: {type(e).__name__}"
        try:
            with svc.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["sql"] = "ok"
        except Exception as e:
            checks["sql"] = f"error: {type(e).__name__}"
        try:
            checks["catalog"] = f"v{svc.catalog.get().version}"
        except Exception as e:
            checks["catalog"] = f"error: {type(e).__name__}"
        ok = all(not v.startswith("error") for v in checks.values())
        return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
