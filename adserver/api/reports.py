"""`GET /v1/reports`: an advertiser's figures (Bearer token; its own campaigns only)."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from .. import reporting, tokens
from ..errors import NotFound
from ..events import ip_hash
from . import Blueprint, services
from .errors import ApiError
from .schemas import ErrorSchema, ReportQuerySchema, ReportSchema

blp = Blueprint("reports", __name__, url_prefix="/v1", description="Advertiser reports")

AUTH_FAILURES_PER_MINUTE = 10


def owner() -> tokens.TokenOwner:
    """The token's owner; 401 on a bad token, 429 after too many bad tokens.

    Failures are counted per address, and apart per address and token prefix when the prefix is a live
    token's: a guesser is held to AUTH_FAILURES_PER_MINUTE whether it varies whole tokens or the secret
    behind a known prefix, while another advertiser's valid token from the same address still works."""
    svc = services()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    prefix = tokens.prefix_of(token)
    address_key = f"adserver:authfail:{ip_hash(request.remote_addr or '', svc.settings.secret_key)}"
    prefix_key = f"{address_key}:{prefix}"
    address_failures, prefix_failures = (int(n or 0) for n in svc.redis.mget(address_key, prefix_key))
    known = None  # whether the prefix is a live token's, asked of SQL only when it matters
    if prefix_failures >= AUTH_FAILURES_PER_MINUTE:
        raise _too_many()
    if address_failures >= AUTH_FAILURES_PER_MINUTE:
        known = tokens.live_prefix(svc.db, prefix)
        if not known:
            raise _too_many()
    found = tokens.authenticate(svc.db, token)
    if found is None:
        known = tokens.live_prefix(svc.db, prefix) if known is None else known
        key = prefix_key if known else address_key
        pipe = svc.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 60, nx=True)
        pipe.execute()
        raise ApiError(401, "unauthorized", "a valid `Authorization: Bearer <token>` header is required")
    return found


def _too_many() -> ApiError:
    return ApiError(429, "rate_limited", "too many failed authentications; try again in a minute")


@blp.route("/reports")
class Reports(MethodView):
    @blp.arguments(ReportQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ReportSchema, description="Rows and totals; `format=csv` gives RFC 4180 CSV (text/csv)")
    @blp.alt_response(400, schema=ErrorSchema, description="Bad dates, range over 366 days, unknown grouping")
    @blp.alt_response(401, schema=ErrorSchema, description="Missing, unknown or revoked token")
    @blp.alt_response(404, schema=ErrorSchema, description="No such campaign (or not yours)")
    @blp.alt_response(429, schema=ErrorSchema, description="Too many failed authentications")
    def get(self, from_, to, group_by, format, campaign=None, advertiser=None):
        """Impressions, viewable impressions, clicks and spend of the token's advertiser, grouped."""
        who = owner()
        scope = who.advertiser_id if not who.is_operator else advertiser
        try:
            report = reporting.run_report(
                services().db,
                reporting.ReportQuery(from_, to, reporting.parse_group_by(group_by), scope, campaign),
            )
        except NotFound as e:
            raise ApiError(404, "not_found", str(e)) from None
        if format == "csv":
            name = f"report-{from_.isoformat()}-{to.isoformat()}.csv"
            return Response(
                reporting.to_csv(report),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
            )
        return {
            "advertiser": scope,
            "group_by": list(report.query.group_by),
            "from_": from_.isoformat(),  # dumped as `from` (ReportSchema.from_)
            "to": to.isoformat(),
            "rows": report.rows,
            "totals": report.totals,
            "data_as_of": report.data_as_of.isoformat() if report.data_as_of else None,
        }
