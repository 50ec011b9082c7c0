"""`adserver decide`: the same decision core as the API, from the terminal, with its reasons."""

from __future__ import annotations

import json

import click
from tabulate import tabulate

from ..context import ArticleContext
from ..decision import decide as decide_core
from . import Context, pass_ctx


@click.command("decide")
@click.option("--topic", default="", help="Article topic, e.g. artificial-intelligence.")
@click.option("--keywords", default="", help="Comma-separated keywords.")
@click.option("--title", default="", help="Article title.")
@click.option("--summary", default="", help="Article summary.")
@click.option("--placement", default="article-footer", show_default=True)
@click.option("--language", default="")
@click.option("--sentiment", type=click.Choice(["", "positive", "neutral", "negative"]), default="")
@click.option("--explain", is_flag=True, help="Show every candidate's score parts and every rejection.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def command(ctx: Context, topic, keywords, title, summary, placement, language, sentiment, explain, as_json) -> None:
    """Which sponsor card would go under this article, and why."""
    svc = ctx.services
    if placement not in svc.settings.placements:
        raise click.BadParameter(f"must be one of {', '.join(svc.settings.placements)}", param_hint="--placement")
    kws = [k for k in keywords.split(",") if k.strip()]
    if not (topic or kws or title):
        raise click.UsageError("give at least one of --topic, --keywords or --title")
    article = dict(topic=topic, keywords=kws, title=title, summary=summary, language=language, sentiment=sentiment)
    context = ArticleContext.create(placement, **article)
    outcome = decide_core(context, svc.catalog.get(), ranker=svc.ranker, explain=explain or as_json)
    d = outcome.decision
    if as_json:
        click.echo(
            json.dumps(
                {
                    "campaign": d.campaign.id if d else None,
                    "creative": d.creative.id if d else None,
                    "hook": d.hook if d else None,
                    "score": d.score if d else None,
                    "candidates": [
                        {"campaign": s.campaign.id, "score": s.score, "parts": s.parts, "reasons": list(s.reasons)}
                        for s in outcome.ranked
                    ],
                    "rejected": [{"campaign": r.campaign_id, "reason": r.reason} for r in outcome.rejected],
                },
                indent=2,
            )
        )
        return
    if d is None:
        click.echo("no fill: no campaign is eligible for this article")
    else:
        click.echo(f"chosen: {d.campaign.id} ({d.campaign.advertiser_name}), score {d.score:g}")
        click.echo(f"  hook:  {d.hook}  [{d.hook_variant}]")
        click.echo(f"  title: {d.creative.title}")
        click.echo(f"  cta:   {d.creative.cta_text} -> {d.creative.landing_url}")
        click.echo(f"  why:   {'; '.join(d.scored.reasons) or 'eligible'}")
    if explain:
        rows = [
            [
                s.campaign.id,
                s.campaign.priority,
                f"{s.score:g}",
                ", ".join(f"{k}={v:g}" for k, v in s.parts.items()),
                "; ".join(s.reasons),
            ]
            for s in outcome.ranked
        ]
        click.echo(f"\ncandidates (ranker: {outcome.ranker}):")
        click.echo(
            tabulate(
                rows, headers=["campaign", "prio", "score", "parts", "reasons"], maxcolwidths=[None, None, None, 40, 60]
            )
        )
        if outcome.rejected:
            click.echo("\nrejected:")
            click.echo(tabulate([[r.campaign_id, r.reason] for r in outcome.rejected], headers=["campaign", "reason"]))
