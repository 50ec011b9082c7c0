"""The sponsor card as HTML and as JSON fields. Jinja2 autoescaping escapes every creative field."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from .catalog import Campaign, CatalogSnapshot, Creative
from .decision import Decision


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("adserver", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def card_fields(decision: Decision) -> dict:
    """The card as the API returns it: every field, with the hook already chosen for the context."""
    return _card(decision.creative, decision.hook_variant, decision.hook)


def _card(cr: Creative, hook_variant: str, hook: str) -> dict:
    return {
        "creative_id": cr.id,
        "advertiser": cr.display_name,
        "tagline": cr.tagline,
        "hook": hook,
        "hook_variant": hook_variant,
        "title": cr.title,
        "body": cr.body,
        "code_lines": list(cr.code_lines),
        "cta": {"text": cr.cta_text, "url": cr.landing_url},
        "secondary_cta": (
            {"text": cr.secondary_cta_text, "url": cr.secondary_cta_url} if cr.secondary_cta_text else None
        ),
        "fine_print": cr.fine_print,
        "image_url": cr.image_url,
        "landing_host": urlsplit(cr.landing_url).hostname or "",
    }


# Stand-ins for the per-decision parts of a card; plain ASCII, so escaping leaves them as they are.
_DECISION, _CLICK, _CLICK2 = "__ads_decision__", "__ads_click__", "__ads_click2__"


def card_cache(snapshot: CatalogSnapshot) -> dict:
    """`snapshot.derived(card_cache)`: rendered card HTML per (creative, hook), valid as long as the snapshot."""
    return {}


def render_card(decision: Decision, click_url: str, secondary_click_url: str | None, cache: dict | None = None) -> str:
    """The card's HTML. The escaped template output is cached per (creative, hook) in `cache` (owned
    by the catalog snapshot, so it dies with it); only the decision id and the signed URLs, which
    are URL-safe by construction, are put in per request."""
    key = (decision.creative.id, decision.hook_variant, secondary_click_url is not None)
    html = cache.get(key) if cache is not None else None
    if html is None:
        html = (
            _env()
            .get_template("card.html")
            .render(
                card=card_fields(decision),
                click_url=_CLICK,
                secondary_click_url=_CLICK2 if secondary_click_url else None,
                decision_id=_DECISION,
                campaign_id=decision.campaign.id,
            )
        )
        if cache is not None:
            cache[key] = html
    html = html.replace(_DECISION, decision.id).replace(_CLICK2, secondary_click_url or "")
    return html.replace(_CLICK, click_url)


def render_preview(campaign: Campaign, creative: Creative, topic: str | None = None) -> dict:
    """The card a decision would render for `creative` (with its hook for `topic`), counting nothing: no
    decision id, no signed tracking URLs; its links go straight to the registered landing URLs."""
    variant, hook = creative.hook_for(topic)
    card = _card(creative, variant, hook)
    html = (
        _env()
        .get_template("card.html")
        .render(
            card=card,
            click_url=creative.landing_url,
            secondary_click_url=creative.secondary_cta_url if creative.secondary_cta_text else None,
            decision_id="preview",
            campaign_id=campaign.id,
        )
    )
    return {"card": card, "html": html}


def render(template: str, **context) -> str:
    return _env().get_template(template).render(**context)
