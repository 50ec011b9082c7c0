"""`/v1/decision`: which sponsor card goes under this article."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache

import orjson
from flask import current_app, jsonify, request
from flask.views import MethodView

from ..audience.devices import DEVICES
from ..errors import InvalidContext
from ..events.event import from_decision
from ..infra import metrics
from ..infra.memo import LRU
from ..serving import sites
from ..serving.context import ArticleContext
from ..serving.decision import Decision, Outcome, decide
from ..serving.eligibility import targeting_index
from ..serving.explain import NO_PAGE
from ..serving.explain import explanation as core_explanation
from ..serving.rendering import (
    CLICK_URL,
    DECISION_ID,
    SCORE,
    SECONDARY_URL,
    VIEW_URL,
    card_cache,
    render_card,
    response_body,
    response_template,
)
from ..serving.sites import page_host
from ..serving.snapshot import CatalogSnapshot
from ..settings import RELAXED_ENVIRONMENTS
from . import Blueprint, client, services
from .auth import operator
from .errors import MAX_QUERY_BYTES, ApiError
from .parser import MEMO_SIZE
from .schemas import (
    DecisionQuerySchema,
    DecisionRequestSchema,
    DecisionResponseSchema,
    ErrorSchema,
)

blp = Blueprint("decision", __name__, url_prefix="/v1", description="Sponsor card decisions")

QUERY_TOO_LONG = (
    f"The whole query string, percent-encoded, is longer than {MAX_QUERY_BYTES} bytes (each field's own limit "
    "aside): send the article as a POST body"
)
EXPLAIN_UNAUTHORIZED = "`explain` without a valid operator token (outside development)"
EXPLAIN_FORBIDDEN = "`explain` with an advertiser's or a publisher's token: operators only"
TRUTHY = {"1", "true", "True", "yes", "on"}
EXPLAIN_PARAMETER = {
    "in": "query",
    "name": "explain",
    "schema": {"type": "boolean", "default": False},
    "description": "Add every candidate's score parts and every rejected campaign with its reason. It lists "
    "every campaign with internal reasons (paused, outside its dates), so outside development it needs an "
    "operator token: `Authorization: Bearer <token>` (401 without one, 403 for an advertiser's or a publisher's)",
}
NO_FILL = {
    "description": "No sponsor is eligible for this article: leave the slot empty (with `?explain=1`: a 200 whose "
    "card fields are null and whose `explain` gives each campaign's reason)."
}


def query_lists(article: dict, keywords: str) -> None:
    """The comma-separated lists of a query string (`keywords`, `categories`) as the article's lists."""
    article["keywords"] = [k.strip() for k in keywords.split(",") if k.strip()]
    if "categories" in article:
        article["categories"] = [c.strip() for c in article["categories"].split(",") if c.strip()]


def tracking_base() -> str:
    """Origin of tracking URLs: PUBLIC_URL when set (behind a proxy), else this request's origin."""
    return services().settings.public_url.rstrip("/") or _origin(request.scheme, request.host)


@lru_cache(maxsize=64)
def _origin(scheme: str, host: str) -> str:
    # werkzeug's host_url re-parses and re-quotes the URL on every request; the origin is one string.
    return f"{scheme}://{host}"


@lru_cache(maxsize=64)
def _json_text(s: str) -> bytes:
    """`s` as it reads inside a JSON string (the origin: a Host header may hold anything)."""
    return orjson.dumps(s)[1:-1]


def tracking_paths(d: Decision) -> tuple[str, str, str | None]:
    """(view, click, secondary click or None) paths, signed. Tokens are URL-safe (slugs, digits, '.', ',', '-',
    '_', '+') but for the '#' a normalised topic or hook may keep ("c#"), so the URLs are built by concatenation."""
    secondary = bool(d.creative.secondary_cta_text and d.creative.secondary_cta_url)
    view, click, click2 = services().tracker.tokens(d.tracking_ids, secondary)
    if "#" in view:  # a browser would cut the URL there; the path arrives decoded, as signed
        view, click = view.replace("#", "%23"), click.replace("#", "%23")
        click2 = click2.replace("#", "%23") if click2 is not None else None
    return f"/t/view/{view}", f"/t/click/{click}", f"/t/click/{click2}" if click2 is not None else None


def serialize(outcome: Outcome, explain: bool, snapshot: CatalogSnapshot, page: sites.Page | None = None) -> dict:
    d: Decision = outcome.decision
    base = tracking_base()
    view, click, click2 = tracking_paths(d)
    secondary = base + click2 if click2 is not None else None
    html = render_card(d, base + click, secondary, snapshot.derived(card_cache))
    body = response_body(d, html, base + view, base + click, secondary)
    if explain:
        body["explain"] = explanation(outcome, page)
    return body


def answer(d: Decision, snapshot: CatalogSnapshot) -> bytes:
    """The 200 body, byte for byte what `serialize` and the app's JSON provider give, from the answer rendered
    once per creative, hook and placement: only the decision id, the signed URLs and the score are new."""
    view, click, click2 = tracking_paths(d)
    template = response_template(d, click2 is not None, snapshot.derived(card_cache))
    origin = _json_text(tracking_base())
    values = {
        DECISION_ID: d.id.encode(),
        VIEW_URL: origin + view.encode(),
        CLICK_URL: origin + click.encode(),
        SCORE: orjson.dumps(d.score),
    }
    if click2 is not None:
        values[SECONDARY_URL] = origin + click2.encode()
    return template.fill(values)


def explanation(outcome: Outcome, page: sites.Page | None = None) -> dict:
    return core_explanation(outcome, services().catalog.get().version, page or NO_PAGE)


def explain_allowed() -> None:
    """`?explain=1` shows every campaign and why it lost: an operator's view, open only in development
    (and to the test suite)."""
    if services().settings.environment not in RELAXED_ENVIRONMENTS:
        operator()


# Contexts of the article bodies seen recently, by the parsed body's identity: the parser hands every identical
# request one object (`parser.Parser`), kept alive here beside its context so that its id is not reused.
_CONTEXTS: LRU[tuple, tuple[dict, ArticleContext]] = LRU(MEMO_SIZE)


def article_context(placement: str, article: dict, page: sites.Page | None) -> ArticleContext:
    """The request's `ArticleContext`, normalised once per article page rather than once per reader. The page's
    site is built in, not replaced in (a copy of every field)."""
    site, unknown = (page.site, page.unknown) if page is not None else ("", False)
    key = (id(article), placement, site, unknown)
    seen = _CONTEXTS.get(key)
    if seen is not None and seen[0] is article:
        return seen[1]
    ctx = ArticleContext.create(placement, site, unknown, **article)
    _CONTEXTS.put(key, (article, ctx))
    return ctx


def run_decision(placement: str, article: dict, explain: bool, exclude: frozenset[str] = frozenset(), site: str = ""):
    start = time.perf_counter()
    try:
        resp, outcome = _run_decision(placement, article, explain, exclude, site)
    except (InvalidContext, ApiError):  # the request's fault: no decision was made
        raise
    except Exception:
        metrics.observe_failed_decision(time.perf_counter() - start)
        raise
    metrics.observe_decision(outcome, time.perf_counter() - start)
    return resp


def _run_decision(placement: str, article: dict, explain: bool, exclude: frozenset[str], site: str):
    """(the response, the decision `Outcome`)."""
    svc = services()
    if explain:
        explain_allowed()
    snapshot = svc.catalog.get()
    page = None
    if snapshot.sites:  # else every page is the implicit `default` site's, billed
        headers = request.headers
        page = sites.page(
            snapshot.sites, site, page_host(headers.get("Origin"), headers.get("Referer"), article.get("url"))
        )
        if page.unknown and svc.settings.unknown_pages == "refuse":
            return _refused(placement, page, explain)
    # `article` is shared by identical requests (see `parser.Parser`): read it, never write to it.
    ctx = article_context(placement, article, page)
    if not ctx.reader and "X-Reader-Id" in request.headers:  # servers calling on the reader's behalf
        ctx = replace(ctx, reader=request.headers["X-Reader-Id"][:128])
    who = client()
    if explain or snapshot.derived(targeting_index).per_reader:  # else nothing reads the reader's device or country
        ctx = replace(ctx, device=who.device if who.device in DEVICES else "", country=who.country)
    outcome = decide(
        ctx,
        snapshot,
        ranker=svc.ranker,
        matcher=svc.matcher,
        budget=svc.budget,
        explain=explain,
        exclude_advertisers=exclude,
        impression=lambda d: from_decision(d, who),
    )
    if svc.reach is not None and not explain and not who.unbilled and not ctx.unknown_page:
        # Every billable decision, whoever won or none (an operator's look with explain counts nothing).
        svc.reach.count(outcome.plan, ctx.site, who.device if who.device in DEVICES else "", who.country)
    if outcome.decision is None:
        if explain:  # "why no ad": a 204 cannot carry the reasons
            return _why_no_card(ctx.placement, outcome, page), outcome
        return _no_card(), outcome
    if not outcome.recorded:  # the budget gate queues it in its own round trip when it can
        svc.events.emit(from_decision(outcome.decision, who))
    # Built to match DecisionResponseSchema (the schemathesis test holds us to it), so it is sent
    # as is instead of being dumped through the schema again on the hot path.
    if explain or current_app.debug:  # the explanation, or the debug provider's pretty JSON
        resp = jsonify(serialize(outcome, explain, snapshot, page))
    else:
        resp = current_app.response_class(answer(outcome.decision, snapshot), mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp, outcome


def _no_card():
    """The 204 of a slot no card fits."""
    return current_app.response_class(status=204, headers={"Cache-Control": "no-store"})


def _why_no_card(placement: str, outcome: Outcome, page: sites.Page | None):
    body = dict.fromkeys(("decision_id", "campaign", "card", "html", "tracking", "score"))
    body.update(placement=placement, explain=explanation(outcome, page))
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _refused(placement: str, page: sites.Page, explain: bool):
    """UNKNOWN_PAGES=refuse: no card for a page that is none of its site's (explain says why)."""
    outcome = Outcome(None)
    if explain:
        why = f"UNKNOWN_PAGES=refuse: {page.why}"
        return _why_no_card(placement, outcome, replace(page, why=why)), outcome
    return _no_card(), outcome


NOTHING_TO_MATCH_ANSWER = "Nothing to match the article on: give at least one of topic, keywords or title"


@blp.route("/decision")
class DecisionView(MethodView):
    @blp.body_arguments(DecisionRequestSchema())  # an instance: built once, not per request
    @blp.doc(parameters=[EXPLAIN_PARAMETER])
    @blp.response(200, DecisionResponseSchema)
    @blp.alt_response(204, description=NO_FILL["description"])
    @blp.alt_response(400, schema=ErrorSchema, description="Invalid article context; `fields` names each bad field")
    @blp.alt_response(422, schema=ErrorSchema, description=NOTHING_TO_MATCH_ANSWER)
    @blp.alt_response(401, schema=ErrorSchema, description=EXPLAIN_UNAUTHORIZED)
    @blp.alt_response(403, schema=ErrorSchema, description=EXPLAIN_FORBIDDEN)
    @blp.alt_response(413, schema=ErrorSchema, description="Body larger than 16 KiB")
    @blp.alt_response(415, schema=ErrorSchema, description="Body is not application/json")
    def post(self, body):
        """Choose the sponsor card for an article."""
        # `explain` is read directly: one query flag is not worth a second schema pass per request (nor, without
        # a query string, parsing one).
        explain = bool(request.query_string) and request.args.get("explain") in TRUTHY
        return run_decision(body["placement"], body["article"], explain, frozenset(body["exclude"]), body["site"])

    @blp.arguments(DecisionQuerySchema(), location="query", as_kwargs=True)
    @blp.alt_response(200, schema=DecisionResponseSchema, success=True, description="The chosen sponsor card")
    @blp.alt_response(204, description=NO_FILL["description"])
    @blp.alt_response(400, schema=ErrorSchema, description="Invalid article context; `fields` names each bad field")
    @blp.alt_response(422, schema=ErrorSchema, description=NOTHING_TO_MATCH_ANSWER)
    @blp.alt_response(401, schema=ErrorSchema, description=EXPLAIN_UNAUTHORIZED)
    @blp.alt_response(403, schema=ErrorSchema, description=EXPLAIN_FORBIDDEN)
    @blp.alt_response(414, schema=ErrorSchema, description=QUERY_TOO_LONG)
    def get(self, placement, explain=False, keywords="", exclude="", site="", **article):
        """The same decision from query parameters, for simple embeds (`keywords=a,b`, `exclude=adv1,adv2`)."""
        query_lists(article, keywords)
        skip = frozenset(a.strip() for a in exclude.split(",") if a.strip())
        return run_decision(placement, article, bool(explain), skip, site)
