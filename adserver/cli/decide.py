"""`adserver decide`: the decision the API would make for an article, and why (a dry run)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import click
from marshmallow import ValidationError
from tabulate import tabulate

from ..api.schemas import DecisionRequestSchema, placements_allowed
from ..audience import geo
from ..audience.devices import DEVICES
from ..catalog.store import load_snapshot
from ..errors import InvalidContext, flatten_messages
from ..events.pacing import DryRun
from ..serving.context import ArticleContext
from ..serving.decision import Outcome, decide
from ..serving.explain import explanation as core_explanation
from ..serving.rendering import card_fields
from ..serving.snapshot import SENTIMENTS, CatalogSnapshot
from .context import Context, pass_ctx
from .tables import table, wide_option


def explanation(outcome: Outcome, snapshot: CatalogSnapshot) -> dict:
    return core_explanation(outcome, snapshot.version)


def as_json(outcome: Outcome, snapshot: CatalogSnapshot, explain: bool) -> dict:
    d = outcome.decision
    body: dict = {"decision": None}
    if d is not None:
        body["decision"] = {
            "campaign": {"id": d.campaign.id, "advertiser": d.campaign.advertiser_name},
            "card": card_fields(d),
            "score": d.score,
        }
    if explain:
        body["explain"] = explanation(outcome, snapshot)
    return body


def print_card(outcome: Outcome) -> None:
    d = outcome.decision
    cr = d.creative
    rows = [
        ["advertiser", f"{cr.display_name} · {cr.tagline}" if cr.tagline else cr.display_name],
        ["hook", f"{d.hook}  ({d.hook_variant})"],
        ["title", cr.title],
        ["cta", f"{cr.cta_text}  {cr.landing_url}"],
    ]
    if cr.secondary_cta_text:
        rows.append(["secondary", f"{cr.secondary_cta_text}  {cr.secondary_cta_url}"])
    if cr.fine_print:
        rows.append(["fine print", cr.fine_print])
    click.echo(f"chosen: {d.campaign.id} ({d.campaign.advertiser_name}) · creative {cr.id} · score {d.score:g}")
    click.echo(tabulate(rows, tablefmt="plain"))


def matched(match: dict | None) -> str:
    """How a candidate matched, with the one number its rule used: 'read from text 0.61 >= 0.40'."""
    if not match:
        return "-"
    if match["how"] in ("read from text", "keyword meaning", "no match") and match["floor"]:
        sign = ">=" if match["eligible"] else "<"
        return f"{match['how']} {match['confidence']:.2f} {sign} {match['floor']:.2f}"
    return match["how"]


def print_explanation(info: dict, wide: bool = False) -> None:
    click.echo(f"\ncandidates (ranker {info['ranker']}, catalog version {info['catalog_version']}):")
    refused = {r["campaign"] for r in info["rejected"]}
    candidates = [c for c in info["candidates"] if c["chosen"] or c["campaign"] not in refused]
    if candidates:
        rows = [
            [
                "*" if c["chosen"] else "",
                c["campaign"],
                c["priority"],
                f"{c['score']:g}",
                " ".join(f"{k}={v:g}" for k, v in c["parts"].items()) or "-",
                "; ".join([f"matched: {matched(c['match'])}", *c["reasons"]]),
            ]
            for c in candidates
        ]
        headers = ["", "campaign", "prio", "score", "parts", "reasons"]
        click.echo(table(rows, headers, wrap={4: 14, 5: 24}, wide=wide))
    else:
        click.echo("  none")
    click.echo("\nrejected:")
    if info["rejected"]:
        rows = [[r["campaign"], r["reason"]] for r in info["rejected"]]
        click.echo(table(rows, ["campaign", "reason"], wrap={1: 30}, wide=wide))
    else:
        click.echo("  none")


def article_context(placement: str, placements: Sequence[str], article: dict) -> ArticleContext:
    """Validate with the API's own request schema, so the CLI refuses what the API refuses."""
    request = {"placement": placement, "article": {k: v for k, v in article.items() if v not in (None, "", [])}}
    try:
        with placements_allowed(placements):
            loaded = DecisionRequestSchema().load(request)
    except ValidationError as e:
        raise InvalidContext("invalid decision request", flatten_messages(e.messages)) from None
    return ArticleContext.create(loaded["placement"], **loaded["article"])


@click.command("decide")
@click.option("--topic", help="Article topic, e.g. artificial-intelligence.")
@click.option("--keywords", default="", help="Comma-separated keywords: robotics,japan.")
@click.option("--title", help="Article title.")
@click.option("--summary", help="Article summary.")
@click.option("--placement", default="article-footer", show_default=True)
@click.option("--language", help="Article language, e.g. en.")
@click.option("--sentiment", type=click.Choice(SENTIMENTS))
@click.option("--categories", default="", help="Comma-separated sensitive categories the publisher tags: crime.")
@click.option("--country", help="The reader's country (ISO 3166-1 alpha-2, e.g. DE), for geo-targeted campaigns.")
@click.option("--device", type=click.Choice(DEVICES), help="The reader's device, for device-targeted campaigns.")
@click.option("--explain", is_flag=True, help="Also show every candidate's score parts and every rejection.")
@click.option("--json", "as_json_", is_flag=True, help="Machine-readable output.")
@wide_option
@pass_ctx
def command(
    ctx: Context,
    topic: str | None,
    keywords: str,
    title: str | None,
    summary: str | None,
    placement: str,
    language: str | None,
    sentiment: str | None,
    categories: str,
    country: str | None,
    device: str | None,
    explain: bool,
    as_json_: bool,
    wide: bool,
) -> None:
    """Which sponsor card the API would choose for this article (books no budget). Without --country or --device
    the reader's are unknown, so campaigns targeting either are not eligible."""
    article = {
        "topic": topic,
        "keywords": [k.strip() for k in keywords.split(",") if k.strip()],
        "title": title,
        "summary": summary,
        "language": language,
        "sentiment": sentiment,
        "categories": [c.strip() for c in categories.split(",") if c.strip()],
    }
    svc = ctx.services
    context = article_context(placement, svc.settings.placements, article)
    if country and geo.from_header(country) != country.upper():
        raise InvalidContext("invalid reader", {"country": ["Not an ISO 3166-1 alpha-2 country code, like 'DE'."]})
    context = replace(context, country=(country or "").upper(), device=device or "")
    snapshot = load_snapshot(svc.db)
    outcome = decide(
        context, snapshot, ranker=svc.ranker, matcher=svc.matcher, budget=DryRun(svc.budget), explain=explain
    )
    if as_json_:
        click.echo(json.dumps(as_json(outcome, snapshot, explain), indent=2, ensure_ascii=False))
        return
    if outcome.decision is None:
        click.echo("no fill: no campaign is eligible for this article (the API answers 204)")
    else:
        print_card(outcome)
    if explain:
        print_explanation(explanation(outcome, snapshot), wide)
