"""`GET /v1/reports`: figures by Bearer token: an advertiser's own campaigns, a publisher's own site, or (an
operator's) everything."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from ..errors import NotFound
from ..events import reporting
from . import Blueprint, services
from .auth import reader
from .errors import ApiError
from .schemas import ErrorSchema, ReportQuerySchema, ReportSchema

blp = Blueprint("reports", __name__, url_prefix="/v1", description="Advertiser and publisher reports")


@blp.route("/reports")
class Reports(MethodView):
    @blp.arguments(ReportQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ReportSchema, description="Rows and totals; `format=csv` gives RFC 4180 CSV (text/csv)")
    @blp.doc(  # both bodies: flask-smorest's doc replaces the response's content, so JSON is named again
        responses={
            "200": {
                "description": "Rows and totals; `format=csv` gives RFC 4180 CSV (text/csv)",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Report"}},
                    "text/csv": {"schema": {"type": "string", "description": "A header row, the rows, a total row"}},
                },
            }
        }
    )
    @blp.alt_response(400, schema=ErrorSchema, description="A bad date or an unknown grouping; `fields` names it")
    @blp.alt_response(
        422, schema=ErrorSchema, description="`to` before `from`, a range over 366 days, or a grouping named twice"
    )
    @blp.alt_response(401, schema=ErrorSchema, description="Missing, unknown or revoked token")
    @blp.alt_response(
        404, schema=ErrorSchema, description="No such campaign, advertiser or site (or, for your token, not yours)"
    )
    @blp.alt_response(429, schema=ErrorSchema, description="Too many failed authentications")
    def get(self, from_, to, group_by, format, campaign=None, advertiser=None, site=None):
        """Impressions, viewable impressions, clicks and spend of the token's advertiser, grouped; with a
        publisher's token, its site's figures and earnings (all advertisers' on that site, never another site's)."""
        who = reader()
        if who.is_publisher and site not in (None, who.site_id):
            raise ApiError(404, "not_found", f"no site {site!r}")  # as a missing site: another's is not yours
        scope = advertiser if who.advertiser_id is None else who.advertiser_id
        query = reporting.ReportQuery(
            from_,
            to,
            reporting.parse_group_by(group_by),
            advertiser_id=scope,
            campaign_id=campaign,
            site_id=who.site_id or site,
            viewer=who.kind,
        )
        try:
            report = reporting.run_report(services().db, query)
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
            "viewer": who.kind,
            "advertiser": scope,
            "advertiser_name": report.advertiser_name,
            "currency": report.currency,
            "site": query.site_id,
            "site_name": report.site_name,
            "group_by": list(report.query.group_by),
            "from_": from_.isoformat(),  # dumped as `from` (ReportSchema.from_)
            "to": to.isoformat(),
            "rows": report.rows,
            "totals": report.totals,
            "data_as_of": report.data_as_of.isoformat() if report.data_as_of else None,
        }
