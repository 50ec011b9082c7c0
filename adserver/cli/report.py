"""`adserver report ADVERTISER --from --to [--group-by] [--csv]`: the advertiser's figures for operators."""

from __future__ import annotations

from datetime import date

import click
from tabulate import tabulate

from .. import reporting, storage
from ..errors import NotFound
from . import Context, pass_ctx


@click.command("report")
@click.argument("advertiser")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First UTC day.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last UTC day (inclusive).")
@click.option("--group-by", default="day", show_default=True, help="Any of day,campaign,creative,placement,topic.")
@click.option("--csv", "as_csv", is_flag=True, help="RFC 4180 CSV instead of a table.")
@pass_ctx
def command(ctx: Context, advertiser: str, start, end, group_by: str, as_csv: bool) -> None:
    """Print ADVERTISER's impressions, views, clicks and spend (the same figures as /v1/reports)."""
    db = ctx.services.db
    with db.sessionmaker() as s:
        if s.get(storage.Advertiser, advertiser) is None:
            raise NotFound(f"no advertiser {advertiser!r}")
    q = reporting.ReportQuery(_day(start), _day(end), reporting.parse_group_by(group_by), advertiser)
    report = reporting.run_report(db, q)
    if as_csv:
        click.echo(reporting.to_csv(report), nl=False)
        return
    rows = [[r[c] for c in report.columns] for r in report.rows]
    rows.append(
        ["total"] * min(1, len(q.group_by))
        + [""] * max(0, len(q.group_by) - 1)
        + [report.totals[m] for m in reporting.METRICS]
    )
    # Two-line headers ("bot / impressions") keep the table within a terminal; the CSV keeps the names.
    headers = ["\n".join(c.rsplit("_", 1)) for c in report.columns]
    click.echo(tabulate(rows, headers=headers))
    click.echo(f"data as of {report.data_as_of.isoformat() if report.data_as_of else 'never (no events yet)'}")


def _day(value) -> date:
    return value.date()
