"""The sponsor card as HTML and as JSON fields, and the decision API's answer around it.

Jinja2 autoescaping escapes every creative field. What is the same for every reader (the card's fields and
HTML for a creative and hook, the campaign, the placement) is rendered once per catalog snapshot with
stand-ins for the per-decision parts (decision id, signed tracking URLs, score), which are put in per request.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import urlsplit

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

from .decision import Decision
from .snapshot import CatalogSnapshot, Creative


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


# Stand-ins for the per-decision parts: plain ASCII, so HTML and JSON escaping leave them as they are, and
# drawn per process, so no creative's text can contain one.
_MARK = "ads" + secrets.token_hex(8)
DECISION_ID, VIEW_URL, CLICK_URL, SECONDARY_URL, SCORE = "d", "v", "c", "s", "n"
_DECISION, _VIEW, _CLICK, _CLICK2, _SCORE = (
    _MARK + k for k in (DECISION_ID, VIEW_URL, CLICK_URL, SECONDARY_URL, SCORE)
)
_SLOTS = re.compile(_MARK.encode() + b"([a-z])")


def card_cache(snapshot: CatalogSnapshot) -> dict:
    """`snapshot.derived(card_cache)`: rendered cards and answers per (creative, hook, ...), valid as long as
    the snapshot. Bounded by the catalog: creatives x hook variants x placements."""
    return {}


def _card_html(decision: Decision, secondary: bool, cache: dict | None) -> str:
    """The card's escaped HTML with stand-ins for the decision id and the click URLs."""
    key = ("html", decision.creative.id, decision.hook_variant, secondary)
    html = cache.get(key) if cache is not None else None
    if html is None:
        html = (
            _env()
            .get_template("card.html")
            .render(
                card=card_fields(decision),
                click_url=_CLICK,
                secondary_click_url=_CLICK2 if secondary else None,
                decision_id=_DECISION,
                campaign_id=decision.campaign.id,
            )
        )
        if cache is not None:
            cache[key] = html
    return html


def render_card(decision: Decision, click_url: str, secondary_click_url: str | None, cache: dict | None = None) -> str:
    """The card's HTML; only the decision id and the signed URLs, which are URL-safe by construction, are put
    in per request."""
    html = _card_html(decision, secondary_click_url is not None, cache)
    html = html.replace(_DECISION, decision.id).replace(_CLICK2, secondary_click_url or "")
    return html.replace(_CLICK, click_url)


def response_body(
    decision: Decision,
    html: str,
    view_url: str,
    click_url: str,
    secondary_click_url: str | None,
    decision_id: str | None = None,
    score: object = None,
) -> dict:
    """The decision API's 200 body (`DecisionResponseSchema`), in its order."""
    d = decision
    return {
        "decision_id": d.id if decision_id is None else decision_id,
        "placement": d.context.placement,
        "campaign": {
            "id": d.campaign.id,
            "advertiser": d.campaign.advertiser_name,
            "advertiser_id": d.campaign.advertiser_id,
        },
        "card": card_fields(d),
        "html": html,
        "tracking": {"view_url": view_url, "click_url": click_url, "secondary_click_url": secondary_click_url},
        "score": d.score if score is None else score,
    }


class ResponseTemplate:
    """The answer's JSON (with its trailing newline, as the app's JSON provider writes it) cut at the stand-ins;
    `fill` splices in the per-decision values, which must be JSON-safe as they are."""

    def __init__(self, body: bytes):
        pieces = _SLOTS.split(body.replace(f'"{_SCORE}"'.encode(), _SCORE.encode()))  # the score is a number
        self.parts = pieces[0::2]
        self.slots = [slot.decode() for slot in pieces[1::2]]

    def fill(self, values: Mapping[str, bytes]) -> bytes:
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            out += (values[slot], part)
        return b"".join(out)


def response_template(decision: Decision, secondary: bool, cache: dict | None) -> ResponseTemplate:
    """The answer for `decision`'s creative, hook and placement, rendered once per snapshot (in `cache`)."""
    key = ("response", decision.creative.id, decision.hook_variant, decision.context.placement, secondary)
    template = cache.get(key) if cache is not None else None
    if template is None:
        html = _card_html(decision, secondary, cache)
        body = response_body(decision, html, _VIEW, _CLICK, _CLICK2 if secondary else None, _DECISION, _SCORE)
        template = ResponseTemplate(orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE))
        if cache is not None:
            cache[key] = template
    return template


def render_preview(campaign_id: str, creative: Creative, topic: str | None = None) -> dict:
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
            campaign_id=campaign_id,
        )
    )
    return {"card": card, "html": html}


def render(template: str, **context) -> str:
    return _env().get_template(template).render(**context)
