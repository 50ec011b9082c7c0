"""`adserver report ADVERTISER --from --to [--group-by] [--csv]`: the advertiser's figures for operators."""

from __future__ import annotations

from datetime import date

import click

from ..events import reporting
from . import advertisers
from .context import Context, pass_ctx
from .tables import WIDTH, table, wide_option


@click.command("report")
@click.argument("advertiser", metavar="ADVERTISER")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First UTC day.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last UTC day (inclusive).")
@click.option("--group-by", default="day", show_default=True, help=f"Any of {','.join(reporting.GROUPS)}.")
@click.option("--csv", "as_csv", is_flag=True, help="RFC 4180 CSV instead of a table.")
@wide_option
@pass_ctx
def command(ctx: Context, advertiser: str, start, end, group_by: str, as_csv: bool, wide: bool) -> None:
    """Print ADVERTISER's (id or name) impressions, views, clicks and spend (the same figures as /v1/reports)."""
    db = ctx.services.db
    advertiser_id = advertisers.find(db, advertiser).id
    q = reporting.ReportQuery(_day(start), _day(end), reporting.parse_group_by(group_by), advertiser_id)
    report = reporting.run_report(db, q)
    if as_csv:
        click.echo(reporting.to_csv(report), nl=False)
        return
    label = ["total"] * min(1, len(q.group_by)) + [""] * max(0, len(q.group_by) - 1)
    rows = [*report.rows, dict(zip(q.group_by, label, strict=True)) | report.totals]
    if wide:  # one table, as the CSV has it; two-line headers ("bot / impressions") keep the names
        click.echo(_table(rows, report.columns, ["\n".join(c.rsplit("_", 1)) for c in report.columns], wide))
    else:  # within 100 columns: billable figures, then the traffic not billed with shorter headers
        billable = [*q.group_by, *reporting.METRICS[: -len(reporting.APART)]]
        click.echo(_table(rows, billable, ["\n".join(c.rsplit("_", 1)) for c in billable], wide))
        click.echo("\nnot billed (known bots, prefetch/prerender, unknown pages, beacons refused by the rate limit):")
        click.echo(_apart(rows, q.group_by))
    click.echo(f"spend in {report.currency or 'mixed currencies'}")
    click.echo(f"data as of {report.data_as_of.isoformat() if report.data_as_of else 'never (no events yet)'}")


SHORT = {
    c: f"{'rate-lim.' if c.startswith('rate_limited') else c.split('_')[0]}\n{c.rsplit('_', 1)[1]}"
    for c in reporting.APART
}


def _apart(rows: list[dict], group_by: list[str]) -> str:
    """The traffic not billed in one table, or one table per cause when the groups leave that too wide."""

    def tables(parts: list[list[str]]) -> list[str]:
        return [_table(rows, [*group_by, *cols], [*group_by, *(SHORT[c] for c in cols)], False) for cols in parts]

    (one,) = tables([list(reporting.APART)])
    if max(len(line) for line in one.splitlines()) <= WIDTH:
        return one
    causes = dict.fromkeys(c.rsplit("_", 1)[0] for c in reporting.APART)  # bot, prefetch, unknown_origin, rate_limited
    return "\n\n".join(tables([[c for c in reporting.APART if c.rsplit("_", 1)[0] == k] for k in causes]))


def _table(rows: list[dict], columns: list[str], headers: list[str], wide: bool) -> str:
    groups = {i: 12 for i, c in enumerate(columns) if c in reporting.GROUPS}  # ids wrap only when they must
    return table([[r.get(c, "") for c in columns] for r in rows], headers, wrap=groups, wide=wide)


def _day(value) -> date:
    return value.date()
