"""The publisher snippet and the report page in headless Chromium (Debian's, no downloaded browser),
against the real server (werkzeug in a thread), real Redis, real SQL and a real `adserver worker`.

Publisher pages come from a second local server (another origin, as on a real news site; loopback so
Chromium's local-network rules allow the calls); landing pages on the sponsors' hosts are answered by
Playwright routing, so no request leaves the machine.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from adserver import create_app
from adserver.catalog import api_tokens
from adserver.catalog.files import import_catalog
from adserver.events import jobs
from adserver.infra import keys
from tests.builders import CHROMIUM, CHROMIUM_ARGS, rollup_row
from tests.conftest import BACKEND, ROOT, _reset
from tests.processes import stop

sync_api = pytest.importorskip("playwright.sync_api")

# The pages in a real browser, once: in the SQLite pass. What they read from SQL (events, rollups, reports,
# self-service) is tested on both databases by the API tests; running these again doubled CI's browser time.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(BACKEND != "sqlite", reason="browser tests run in the SQLite pass (SQL: the API tests)"),
]

# Readers use a normal Chrome; the headless UA would (rightly) be classed as a bot and not billed.
READER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = "<img src=x onerror=alert(1)>"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):  # CI installs it (scripts/test): a missing browser there is a failure
        raise RuntimeError("CI needs Debian's chromium at /usr/bin/chromium")
    pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)


def sponsor(adv: str, topics: list[str], priority: int = 1, title: str | None = None) -> dict:
    return {
        "id": adv,
        "name": adv.title(),
        "domain": f"{adv}.example",
        "campaigns": [
            {
                "id": f"{adv}-main",
                "name": f"{adv} main",
                "priority": priority,
                "pricing": {"model": "cpm", "price": 2.0},
                "budget": {"total": 1000, "daily": 100},
                "targeting": {"topics": topics},
                "creatives": [
                    {
                        "id": f"{adv}-card",
                        "display_name": adv.title(),
                        "title": title or f"{adv.title()} for your readers",
                        "body": "A short line about the sponsor.",
                        "cta": {"text": "Learn more", "url": f"https://landing.{adv}.example/offer"},
                    }
                ],
            }
        ],
    }


def example_sponsor(adv: str, topic: str, index: int = 0, **fields) -> dict:
    """The example catalog's `index`-th advertiser's first card as sponsor `adv` on `topic` (its one hook)."""
    example = yaml.safe_load((ROOT / "config" / "catalog.example.yaml").read_text())["advertisers"][index]
    card = sponsor(adv, [topic])
    creative = dict(example["campaigns"][0]["creatives"][0], id=f"{adv}-card", **fields)
    creative.pop("hook_variants")
    card["campaigns"][0]["creatives"] = [creative]
    return card


def tallest_example_sponsor() -> dict:
    """The example catalog's tallest card (tagline, hook, body, code box, two calls to action, fine print)."""
    return example_sponsor("delta", "tall-topic")


IMAGE_URL = "https://img.pictured.example/card.svg"
IMAGE = b'<svg xmlns="http://www.w3.org/2000/svg" width="192" height="96"><rect width="192" height="96"/></svg>'


CATALOG = {
    "advertisers": [
        tallest_example_sponsor(),
        sponsor("alpha", ["alpha-topic"]),
        sponsor("bravo", ["alpha-topic", "bravo-topic"], priority=1),
        sponsor("charlie", ["charlie-topic", "artificial-intelligence"]),  # also the /demo article's topic
        sponsor("hostile", ["hostile-topic"], title=HOSTILE),
        example_sponsor("recipe", "recipe-topic", index=7),  # a short card: the recipe box of issue 21
        example_sponsor("pictured", "pictured-topic", image_url=IMAGE_URL),  # the tallest, with an image
    ]
}

# Recorded by every publisher page before any of its scripts: layout shifts, uncaught errors, beacons.
PROBE = """
window.__cls = 0; window.__errors = []; window.__beacons = [];
window.__clsObserver = new PerformanceObserver(function (l) {
  l.getEntries().forEach(function (e) { if (!e.hadRecentInput) window.__cls += e.value; });
});
window.__clsObserver.observe({type: 'layout-shift', buffered: true});
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
window.addEventListener('unhandledrejection', function (e) { window.__errors.push(String(e.reason)); });
var send = navigator.sendBeacon.bind(navigator);
navigator.sendBeacon = function (u, d) { window.__beacons.push({url: u, t: performance.now()}); return send(u, d); };
window.__slots = [];  // each slot's height as its state changes: "loading" is before its card arrives
new MutationObserver(function (ms) {
  ms.forEach(function (m) {
    var s = m.target;
    window.__slots.push({state: s.dataset.adserverState, height: s.getBoundingClientRect().height});
  });
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-adserver-state']});
"""


RESERVED = 320  # what the README tells publishers to reserve, on desktop and on phones


def page_html(
    base: str, topic: str, *, slots: int = 1, before: int = 0, after: int = 6, head: str = "", attrs: str = ""
) -> str:
    topic_attr = f'data-topic="{topic}"' if topic else ""  # none: the snippet reads the page's own tags
    slot = (
        f'<div data-adserver-slot data-placement="article-footer" {topic_attr} {attrs}'
        f' style="min-height:{RESERVED}px"></div>'
    )
    para = "<p>" + "Publisher paragraph text that follows the slot. " * 8 + "</p>"
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>Article</title>{head}"
        "<style>body{font:16px/1.5 Georgia,serif;margin:0 auto;max-width:700px}</style></head><body>"
        f"<h1>An article</h1><div style='height:{before}px'></div>"
        + (slot + para) * slots
        + para * after
        + f'<script async src="{base}/embed.js"></script></body></html>'
    )


@dataclass
class Stack:
    base: str
    publisher: str
    services: object
    pages: dict
    landings: list


@pytest.fixture(scope="module")
def stack(migrated_url, redis_url, empty_models_dir):
    from werkzeug.serving import make_server

    overrides = {
        "models_dir": str(empty_models_dir),  # the test catalog, ranked by the overlap ranker
        "database_url": migrated_url,
        "redis_url": redis_url,
        "secret_key": "browser-secret-key-0123456789",
        "environment": "test",
        "catalog_poll_seconds": 0,
    }
    app = create_app(overrides)
    svc = app.extensions["adserver"]
    _reset(svc.db)
    svc.redis.flushdb()
    import_catalog(svc.db, CATALOG)
    svc.catalog.refresh(force=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = os.environ | {
        "DATABASE_URL": migrated_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": overrides["secret_key"],
        "ENVIRONMENT": "test",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "adserver", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # Warm up (first-request imports such as the bot list) so the 1.5 s budget measures steady state.
    from urllib.request import Request, urlopen

    warm = Request(
        f"http://127.0.0.1:{server.server_port}/v1/decision?topic=warm-up", headers={"User-Agent": READER_UA}
    )
    urlopen(warm, timeout=30).close()
    pages: dict[str, str] = {}

    def publisher_app(environ, start_response):
        body = pages.get(environ["PATH_INFO"])
        start_response("200 OK" if body else "404 Not Found", [("Content-Type", "text/html; charset=utf-8")])
        return [(body or "not found").encode()]

    publisher = make_server("127.0.0.1", 0, publisher_app, threaded=True)
    threading.Thread(target=publisher.serve_forever, daemon=True).start()
    yield Stack(f"http://127.0.0.1:{server.server_port}", f"http://localhost:{publisher.server_port}", svc, pages, [])
    stop(worker)
    publisher.shutdown()
    server.shutdown()
    svc.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser, stack):
    """A browser context where only our server is reached; publisher and landing hosts are routed."""
    ctx = browser.new_context(user_agent=READER_UA, viewport={"width": 1000, "height": 700})
    ctx.add_init_script(PROBE)
    local = {urlsplit(stack.base).netloc, urlsplit(stack.publisher).netloc}

    def route(r):
        url = urlsplit(r.request.url)
        if url.netloc in local:
            r.continue_()
        else:
            stack.landings.append(r.request.url)
            r.fulfill(status=200, content_type="text/html", body="<!doctype html><h1>Landing</h1>")

    ctx.route("**/*", route)
    yield ctx
    ctx.close()


def watched(page):
    """The page, recording console errors (a script the CSP refused among them) and dismissed dialogs."""
    page.console_errors = []
    page.dialogs = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    return page


def open_page(context, stack, name: str, html: str, viewport: dict | None = None):
    stack.pages[f"/{name}"] = html
    page = watched(context.new_page())
    if viewport:
        page.set_viewport_size(viewport)
    page.goto(f"{stack.publisher}/{name}")
    return page


# axe-core, vendored for these tests only (tests/vendor/fetch-axe pins and fetches it).
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # axe-core 4.14.1
DESKTOP = {"width": 1280, "height": 800}


@cache
def axe_script() -> str:
    script = AXE.read_bytes()
    assert hashlib.sha256(script).hexdigest() == AXE_SHA256, "tests/vendor/axe.min.js is not the pinned axe-core"
    return script.decode()


def assert_accessible(page, stack) -> None:
    """axe-core's rules (WCAG 2 A/AA and best practice) find nothing serious or critical on the page as shown,
    at desktop width. axe is served from the page's own origin by a test route: the page's CSP stays as it is."""
    page.set_viewport_size(DESKTOP)
    url = f"{stack.base}/__axe.min.js"
    page.route(url, lambda r: r.fulfill(body=axe_script(), content_type="text/javascript"))
    page.add_script_tag(url=url)
    found = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v =>"
        " ({rule: v.id, impact: v.impact, help: v.help, where: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
    )
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not serious, "\n".join(f"{v['rule']} ({v['impact']}): {v['help']}, at {v['where']}" for v in serious)


def settled(page, n: int = 1):
    page.wait_for_function(
        f"document.querySelectorAll('[data-adserver-state=filled],[data-adserver-state=empty]').length >= {n}"
    )


def beacons(page) -> list:
    return page.evaluate("window.__beacons")


# --- the card -----------------------------------------------------------------------------------


def test_card_shows_without_console_errors_or_layout_shift(context, stack):
    page = open_page(context, stack, "card", page_html(stack.base, "charlie-topic"))
    settled(page)
    page.wait_for_timeout(300)
    assert page.locator("[data-adserver-slot] .ads-title").inner_text() == "Charlie for your readers"
    assert page.console_errors == []
    assert page.evaluate("window.__cls") == 0


def test_card_inherits_the_publishers_font(context, stack):
    page = open_page(context, stack, "font", page_html(stack.base, "charlie-topic"))
    settled(page)
    font = page.locator("[data-adserver-slot] .ads-card").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Georgia" in font


def test_demo_page_uses_the_snippet_and_shows_a_card(context, stack):
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{stack.base}/demo")
    page.wait_for_selector("[data-adserver-state=filled]", state="attached")
    assert page.locator("#sponsor .ads-card").is_visible()
    assert_accessible(page, stack)
    assert errors == []


def test_two_slots_never_show_the_same_sponsor(context, stack):
    page = open_page(context, stack, "two", page_html(stack.base, "alpha-topic", slots=2))
    settled(page, 2)
    shown = page.locator("[data-adserver-slot] .ads-card").evaluate_all("cs => cs.map(c => c.dataset.campaign)")
    assert shown == ["alpha-main", "bravo-main"]


def test_slots_with_one_context_are_filled_by_one_request(context, stack):
    asked = []
    context.on("request", lambda r: "/v1/decision" in r.url and asked.append(urlsplit(r.url).path))
    html = page_html(stack.base, "alpha-topic", slots=2).replace(
        'data-placement="article-footer"', 'data-placement="sidebar"', 1
    )
    page = open_page(context, stack, "batch", html)
    settled(page, 2)
    assert asked == ["/v1/decisions"]
    cards = page.locator("[data-adserver-slot] .ads-card").evaluate_all("cs => cs.map(c => c.dataset.campaign)")
    assert cards == ["alpha-main", "bravo-main"]


def test_slots_with_their_own_context_are_asked_in_turn_without_repeating_a_sponsor(context, stack):
    asked = []
    context.on("request", lambda r: "/v1/decision" in r.url and asked.append(r.url))
    html = page_html(stack.base, "alpha-topic", slots=2).replace(
        'data-topic="alpha-topic"', 'data-topic="bravo-topic"', 1
    )
    page = open_page(context, stack, "turns", html)
    settled(page, 2)
    assert [urlsplit(u).path for u in asked] == ["/v1/decision", "/v1/decision"]
    assert "exclude=bravo" in asked[1]
    cards = page.locator("[data-adserver-slot] .ads-card").evaluate_all("cs => cs.map(c => c.dataset.campaign)")
    assert cards == ["bravo-main", "alpha-main"]


def test_hostile_title_renders_as_text_and_opens_no_dialog(context, stack):
    page = open_page(context, stack, "hostile", page_html(stack.base, "hostile-topic"))
    settled(page)
    page.wait_for_timeout(500)
    assert page.locator("[data-adserver-slot] .ads-title").inner_text() == HOSTILE
    assert page.locator("[data-adserver-slot] img").count() == 0
    assert page.dialogs == []


def test_no_fill_collapses_the_slot_without_errors(context, stack):
    page = open_page(context, stack, "nofill", page_html(stack.base, "nobody-sponsors-this"))
    settled(page)
    assert page.locator("[data-adserver-slot]").evaluate("e => e.getBoundingClientRect().height") == 0
    assert page.console_errors == []
    assert page.evaluate("window.__errors") == []


def test_decision_server_down_collapses_the_slot_without_errors_in_the_page(context, stack):
    context.route("**/v1/decision**", lambda r: r.abort("connectionrefused"))
    page = open_page(context, stack, "down", page_html(stack.base, "charlie-topic"))
    settled(page)
    assert page.locator("[data-adserver-slot]").evaluate("e => e.getBoundingClientRect().height") == 0
    assert page.evaluate("window.__errors") == []


def test_decision_server_error_collapses_the_slot(context, stack):
    context.route("**/v1/decision**", lambda r: r.fulfill(status=500, body="{}"))
    page = open_page(context, stack, "err500", page_html(stack.base, "charlie-topic"))
    settled(page)
    assert page.locator("[data-adserver-slot]").is_hidden()
    assert page.evaluate("window.__errors") == []


def test_page_opt_out_makes_no_decision_request(context, stack):
    requested = []
    context.on("request", lambda r: "/v1/decision" in r.url and requested.append(r.url))
    html = page_html(stack.base, "charlie-topic").replace("<html>", "<html data-adserver-optout>")
    page = open_page(context, stack, "optout", html)
    settled(page)
    assert requested == []
    assert page.locator("[data-adserver-slot]").is_hidden()


def test_no_cookies_and_no_storage_are_written(context, stack):
    page = open_page(context, stack, "private", page_html(stack.base, "charlie-topic"))
    settled(page)
    assert context.cookies() == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0


DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 375, "height": 812}
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
GAP = 24  # most blank allowed between a card's text and its button, and below its last line

# A card's shape where it is shown: its height, the blank between the calls to action and the block above
# them, and the blank between its last block and its bottom edge (inside padding and border).
SHAPE = """c => {
  const box = e => e.getBoundingClientRect(), s = getComputedStyle(c), actions = c.querySelector('.ads-actions');
  const inside = parseFloat(s.paddingBottom) + parseFloat(s.borderBottomWidth);
  return {card: box(c).height, gap: box(actions).top - box(actions.previousElementSibling).bottom,
          tail: box(c).bottom - inside - box(c.lastElementChild).bottom};
}"""


def card_box(page) -> dict:
    return page.locator("[data-adserver-slot] .ads-card").evaluate(
        "c => { const r = c.getBoundingClientRect(), s = c.getRootNode().host.getBoundingClientRect();"
        " return {card: r.height, slot: s.height, code: !!c.querySelector('.ads-code')}; }"
    )


def card_shape(page, card: str = "[data-adserver-slot] .ads-card") -> dict:
    return page.locator(card).evaluate(SHAPE)


def slot_heights(page) -> list:
    """The slot's height at each state the snippet gave it (loading: before its card arrives), then now."""
    now = page.locator("[data-adserver-slot]").evaluate("e => e.getBoundingClientRect().height")
    return [s["height"] for s in page.evaluate("window.__slots")] + [now]


def layout_shift(page) -> float:
    """Layout shift so far, two frames on: shifts are recorded as frames are drawn."""
    return page.evaluate(
        "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(window.__cls +"
        " window.__clsObserver.takeRecords().filter(e => !e.hadRecentInput).reduce((a, e) => a + e.value, 0)))))"
    )


def assert_natural_shape(page, card: str, name: str, reserved: int = RESERVED) -> dict:
    shape = card_shape(page, card)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("[data-adserver-slot]").screenshot(path=str(ARTIFACTS / f"{name}.png"))
    assert shape["gap"] <= GAP, shape  # the button follows the text
    assert shape["tail"] <= GAP, shape  # and nothing blank is left under the last line
    assert shape["card"] <= reserved, shape
    return shape


CARDS = pytest.mark.parametrize(
    "topic", ["charlie-topic", "recipe-topic", "tall-topic", "pictured-topic"], ids=["short", "recipe", "tall", "image"]
)


@VIEWPORTS
@CARDS
def test_card_keeps_its_own_shape_in_the_reserved_space_with_no_layout_shift(context, stack, viewport, topic):
    context.route(IMAGE_URL, lambda r: r.fulfill(status=200, content_type="image/svg+xml", body=IMAGE))
    page = open_page(context, stack, f"shape-{topic}", page_html(stack.base, topic), viewport=viewport)
    settled(page)
    assert_natural_shape(page, "[data-adserver-slot] .ads-card", f"card-{topic}-{viewport['width']}")
    # The slot keeps its reserved height before the card arrives, as it arrives and after: nothing moves.
    assert slot_heights(page) == [RESERVED] * 3
    assert layout_shift(page) == 0


@VIEWPORTS
def test_demo_card_keeps_its_own_shape(context, stack, viewport):
    page = watched(context.new_page())
    page.set_viewport_size(viewport)
    page.goto(f"{stack.base}/demo")
    page.wait_for_selector("#sponsor[data-adserver-state=filled]", state="attached")
    assert_natural_shape(page, "#sponsor .ads-card", f"demo-{viewport['width']}")
    assert slot_heights(page) == [RESERVED] * 3
    assert layout_shift(page) == 0 and page.console_errors == []


def own_script_page(base: str, topic: str) -> str:
    """A publisher that calls the decision API itself and puts its `html` in its reserved slot, unstyled."""
    script = (
        "<script>const slot = document.querySelector('[data-adserver-slot]'); slot.dataset.adserverState = 'loading';"
        f"fetch('{base}/v1/decision?placement=article-footer&topic={topic}').then(r => r.json())"
        ".then(a => { slot.innerHTML = a.html; slot.dataset.adserverState = 'filled'; });</script>"
    )
    return page_html(base, topic).replace(f'<script async src="{base}/embed.js"></script>', script)


@VIEWPORTS
def test_decision_apis_html_keeps_its_own_shape_in_the_publishers_slot(context, stack, viewport):
    page = open_page(context, stack, "own-script", own_script_page(stack.base, "recipe-topic"), viewport=viewport)
    page.wait_for_selector("[data-adserver-slot] .ads-card")
    assert_natural_shape(page, "[data-adserver-slot] .ads-card", f"api-html-{viewport['width']}")
    assert slot_heights(page) == [RESERVED] * 3
    assert layout_shift(page) == 0


def test_card_in_a_smaller_space_drops_optional_parts_but_keeps_the_call_to_action_and_fine_print(context, stack):
    html = page_html(stack.base, "tall-topic").replace(f"min-height:{RESERVED}px", "min-height:250px")
    page = open_page(context, stack, "small", html, viewport=PHONE)
    settled(page)
    card = page.locator("[data-adserver-slot] .ads-card")
    assert_natural_shape(page, "[data-adserver-slot] .ads-card", "card-in-250px", reserved=250)
    assert card.locator(".ads-code").count() == 0
    assert card.locator(".ads-cta").is_visible() and card.locator(".ads-fine").is_visible()
    assert slot_heights(page) == [250] * 3
    assert layout_shift(page) == 0


def test_tallest_card_keeps_its_code_box_on_desktop(context, stack):
    page = open_page(context, stack, "tallcode", page_html(stack.base, "tall-topic"))
    settled(page)
    assert card_box(page)["code"]


def test_code_box_shows_one_line_per_code_line(context, stack):
    page = open_page(context, stack, "code", page_html(stack.base, "tall-topic"))
    settled(page)
    code = page.locator("[data-adserver-slot] .ads-code")
    assert code.inner_text().split("\n") == ["$ git push zahid main", "Live at https://your-agent.zahid.host"]
    lines = code.evaluate(
        "p => { const s = getComputedStyle(p), pad = parseFloat(s.paddingTop) + parseFloat(s.paddingBottom);"
        " return (p.clientHeight - pad) / parseFloat(s.lineHeight); }"
    )
    assert round(lines) == 2


# Every text part's colour and the background it is drawn on (the nearest one that is not transparent).
COLOURS = """c => [...c.querySelectorAll(
  '.ads-head span, .ads-hook, .ads-title a, .ads-body, .ads-code, .ads-actions a, .ads-fine')].map(e => {
  let b = e;
  while (getComputedStyle(b).backgroundColor === 'rgba(0, 0, 0, 0)') b = b.parentElement;
  return [e.className || e.parentElement.className, getComputedStyle(e).color, getComputedStyle(b).backgroundColor];
})"""


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two opaque `rgb(r, g, b)` colours."""

    def luminance(rgb: str) -> float:
        c = [int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        r, g, b = (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_card_text_has_aa_contrast(context, stack, theme):
    page = open_page(
        context, stack, f"contrast-{theme}", page_html(stack.base, "tall-topic", attrs=f'data-theme="{theme}"')
    )
    settled(page)
    parts = page.locator("[data-adserver-slot] .ads-card").evaluate(COLOURS)
    assert len(parts) == 10  # label, by, tagline, hook, title, body, code, two calls to action, fine print
    low = {part: round(contrast(fg, bg), 2) for part, fg, bg in parts if contrast(fg, bg) < 4.5}
    assert low == {}  # WCAG AA for text under 18.66 px bold: every part of the card is that small


def test_card_links_are_reached_by_keyboard_with_a_visible_focus_ring(context, stack):
    page = open_page(context, stack, "focus", page_html(stack.base, "tall-topic"), viewport=PHONE)
    settled(page)
    focused = []
    for _ in range(3):
        page.keyboard.press("Tab")
        focused.append(
            page.locator("[data-adserver-slot]").evaluate(
                "s => { const a = s.shadowRoot.activeElement, st = getComputedStyle(a);"
                " return [a.textContent, st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0]; }"
            )
        )
    assert focused == [
        ["Run your AI side-project on zahid.host", True],
        ["Get free account →", True],
        ["Pricing", True],
    ]


# --- theme ----------------------------------------------------------------------------------------


def card_background(page, n: int = 0) -> str:
    return page.locator("[data-adserver-slot] .ads-card").nth(n).evaluate("c => getComputedStyle(c).backgroundColor")


WHITE, DARK = "rgb(255, 255, 255)", "rgb(29, 31, 33)"


def test_demo_card_stays_light_on_the_light_page_when_the_reader_prefers_dark(browser, stack):
    ctx = browser.new_context(user_agent=READER_UA, color_scheme="dark")
    page = ctx.new_page()
    page.goto(f"{stack.base}/demo")
    page.wait_for_selector("[data-adserver-state=filled]", state="attached")
    assert card_background(page) == WHITE
    ctx.close()


def test_auto_theme_follows_a_dark_page_background(context, stack):
    head = "<style>body{background:#121212;color:#eee}</style>"
    page = open_page(context, stack, "darkpage", page_html(stack.base, "charlie-topic", head=head))
    settled(page)
    assert card_background(page) == DARK


@pytest.mark.parametrize("theme,want", [("dark", DARK), ("light", WHITE)])
def test_data_theme_on_the_slot_sets_the_card_theme(browser, stack, theme, want):
    ctx = browser.new_context(user_agent=READER_UA, color_scheme="light" if theme == "dark" else "dark")
    stack.pages[f"/theme-{theme}"] = page_html(stack.base, "charlie-topic", attrs=f'data-theme="{theme}"')
    page = ctx.new_page()
    page.goto(f"{stack.publisher}/theme-{theme}")
    settled(page)
    assert card_background(page) == want
    ctx.close()


def test_card_follows_the_sites_own_dark_mode_selector_as_it_toggles(context, stack):
    html = page_html(stack.base, "charlie-topic", attrs='data-dark-selector="html[data-theme=dark]"')
    page = open_page(context, stack, "toggle", html)
    settled(page)
    assert card_background(page) == WHITE
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    page.wait_for_function(
        "getComputedStyle(document.querySelector('[data-adserver-slot]').shadowRoot.querySelector('.ads-card'))"
        ".backgroundColor === 'rgb(29, 31, 33)'"
    )
    page.evaluate("document.documentElement.dataset.theme = 'light'")
    page.wait_for_function(
        "getComputedStyle(document.querySelector('[data-adserver-slot]').shadowRoot.querySelector('.ads-card'))"
        ".backgroundColor === 'rgb(255, 255, 255)'"
    )


def test_a_dark_mode_selector_that_is_not_one_still_shows_the_card(context, stack):
    page = open_page(context, stack, "badsel", page_html(stack.base, "charlie-topic", attrs='data-dark-selector="[["'))
    settled(page)
    assert card_background(page) == WHITE
    assert page.evaluate("window.__errors") == []


# --- single-page sites: events, reload, fallback -------------------------------------------------

# Recorded before the snippet runs: every adserver event, as the publisher's own code would see it.
LISTEN = """<script>window.__events = [];
['adserver:filled', 'adserver:empty'].forEach(function (n) {
  document.addEventListener(n, function (e) {
    window.__events.push({type: e.type, topic: e.target.dataset.topic,
      campaign: e.detail.campaign && e.detail.campaign.id, reason: e.detail.reason});
  });
});</script>"""


def test_each_slot_announces_filled_or_empty(context, stack):
    html = page_html(stack.base, "alpha-topic", head=LISTEN).replace(
        "</h1>", '</h1><div data-adserver-slot data-topic="nobody-sponsors-this" style="min-height:320px"></div>'
    )
    page = open_page(context, stack, "events", html)
    settled(page, 2)
    assert page.evaluate("window.__events") == [
        {"type": "adserver:empty", "topic": "nobody-sponsors-this", "campaign": None, "reason": "nofill"},
        {"type": "adserver:filled", "topic": "alpha-topic", "campaign": "alpha-main", "reason": None},
    ]


def test_reload_rereads_the_context_and_refills_the_slot(context, stack):
    page = open_page(context, stack, "spa", page_html(stack.base, "alpha-topic", head=LISTEN))
    settled(page)
    first = page.get_attribute("[data-adserver-slot]", "data-adserver-decision")
    # A route change: the page now shows another article; the publisher asks for a new card.
    page.evaluate(
        "document.querySelector('[data-adserver-slot]').dataset.topic = 'charlie-topic';"
        "window.__done = window.adserver.reload().then(() => true)"
    )
    page.wait_for_function("window.__done")
    assert page.locator("[data-adserver-slot] .ads-title").inner_text() == "Charlie for your readers"
    assert page.get_attribute("[data-adserver-slot]", "data-adserver-decision") != first
    assert [e["campaign"] for e in page.evaluate("window.__events")] == ["alpha-main", "charlie-main"]
    assert page.locator("[data-adserver-slot] .ads-card").count() == 1
    assert page.evaluate("window.__errors") == []


def test_reload_after_no_fill_shows_the_slot_again_when_a_card_fills(context, stack):
    page = open_page(context, stack, "spa-empty", page_html(stack.base, "nobody-sponsors-this"))
    settled(page)
    page.evaluate(
        "document.querySelector('[data-adserver-slot]').dataset.topic = 'charlie-topic';"
        "window.__done = window.adserver.reload().then(() => true)"
    )
    page.wait_for_function("window.__done")
    assert page.locator("[data-adserver-slot]").evaluate("e => e.getBoundingClientRect().height") == RESERVED


def test_reload_does_not_count_a_view_for_the_card_it_replaced(context, stack):
    page = open_page(context, stack, "spa-view", page_html(stack.base, "alpha-topic"))
    settled(page)
    reloaded = page.evaluate("window.adserver.reload().then(() => performance.now())")  # within its first second
    page.wait_for_function("window.__beacons.length > 0", timeout=5000)
    page.wait_for_timeout(1200)
    sent = beacons(page)
    assert len(sent) == 1  # the new card's, a second after it came
    assert sent[0]["t"] - reloaded >= 1000


def test_publisher_can_show_its_own_content_when_nothing_fills(context, stack):
    fallback = """<script>document.addEventListener('adserver:empty', function (e) {
      e.preventDefault(); e.target.innerHTML = '<a id=house href=/subscribe>Subscribe to our newsletter</a>';
    });</script>"""
    page = open_page(context, stack, "fallback", page_html(stack.base, "nobody-sponsors-this", head=fallback))
    settled(page)
    assert page.locator("#house").is_visible()
    assert page.locator("[data-adserver-slot]").evaluate("e => e.getBoundingClientRect().height") == RESERVED
    assert page.evaluate("window.__cls") == 0


# --- the article context the snippet reads from the page ------------------------------------------------


def json_ld(*blocks) -> str:
    return "".join(
        f'<script type="application/ld+json">{b if isinstance(b, str) else json.dumps(b)}</script>' for b in blocks
    )


def meta(name: str, content: str) -> str:
    return f'<meta {"property" if ":" in name else "name"}="{name}" content="{content}">'


def asked_context(context) -> list[dict]:
    """The query of each decision request the snippet makes in `context`, with the status it got."""
    asked = []
    context.on(
        "response",
        lambda r: (
            "/v1/decision" in r.url and asked.append(dict(parse_qsl(urlsplit(r.url).query)) | {"status": r.status})
        ),
    )
    return asked


def refill_with(page, change: str, arg=None) -> None:
    """Runs `change` (a JavaScript function of `arg`) on the page, then the snippet's reload(), to its end."""
    page.evaluate(f"arg => {{ ({change})(arg); return window.adserver.reload(); }}", arg)


SET_JSON_LD = """ld => {
  const blocks = document.querySelectorAll('script[type="application/ld+json"]');
  blocks[blocks.length - 1].textContent = ld;
}"""

ARTICLE = {
    "@type": ["NewsArticle"],
    "headline": "Factories hire their first robots",
    "description": "A lead paragraph about robots on the factory floor.",
    "articleSection": ["Charlie Topic", "World"],
    "keywords": ["robots", "factories"],
}


def test_a_page_with_only_news_article_json_ld_gets_the_card_for_its_section(context, stack):
    asked = asked_context(context)
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "Site"}, ARTICLE]}
    page = open_page(context, stack, "json-ld", page_html(stack.base, "", head=json_ld(graph)))
    settled(page)
    assert page.locator("[data-adserver-slot] .ads-card").get_attribute("data-campaign") == "charlie-main"
    assert asked == [
        {
            "topic": "Charlie Topic",
            "keywords": "robots,factories",
            "title": "Factories hire their first robots",
            "summary": "A lead paragraph about robots on the factory floor.",
            "placement": "article-footer",
            "status": 200,
        }
    ]


def test_malformed_json_ld_is_skipped_and_the_meta_tags_still_fill_the_slot(context, stack):
    head = json_ld('{"@type": "NewsArticle", "articleSection": "charlie-topic",') + meta(
        "article:section", "alpha-topic"
    )
    page = open_page(context, stack, "json-ld-broken", page_html(stack.base, "", head=head))
    settled(page)
    assert page.locator("[data-adserver-slot] .ads-card").get_attribute("data-campaign") == "alpha-main"
    assert page.console_errors == [] and page.evaluate("window.__errors") == []


def test_the_article_is_found_alone_in_an_array_or_in_a_graph_whatever_its_article_type(context, stack):
    asked = asked_context(context)
    shapes = [
        ARTICLE | {"@type": "ReportageNewsArticle"},
        [{"@type": "BreadcrumbList"}, ARTICLE | {"@type": "BlogPosting", "keywords": "robots, factories"}],
        {
            "@graph": [
                {"@type": "Organization", "name": "Not this"},
                ARTICLE | {"@type": ["Thing", "OpinionNewsArticle"]},
            ]
        },
    ]
    head = json_ld({"@type": "WebSite"}, "{}")  # no article in the first block: the next one is read
    page = open_page(context, stack, "json-ld-shapes", page_html(stack.base, "", head=head))
    settled(page)
    for shape in shapes:
        refill_with(page, SET_JSON_LD, json.dumps(shape))
    assert [(a.get("topic"), a.get("keywords"), a.get("title")) for a in asked] == [(None, None, "An article")] + [
        ("Charlie Topic", "robots,factories", "Factories hire their first robots")
    ] * 3


def test_slot_attributes_come_first_then_json_ld_then_meta_tags_field_by_field(context, stack):
    asked = asked_context(context)
    ld = {"@type": "NewsArticle", "headline": "From JSON-LD", "articleSection": "bravo-topic", "keywords": "ld one"}
    head = (
        json_ld(ld)
        + meta("article:section", "charlie-topic")
        + meta("og:title", "From og:title")
        + meta("news_keywords", "news one, news two")
        + meta("keywords", "plain")
        + meta("article:tag", "tagged")
    )
    page = open_page(context, stack, "precedence", page_html(stack.base, "", head=head, attrs='data-keywords="own"'))
    settled(page)
    refill_with(page, "() => document.querySelector('[data-adserver-slot]').removeAttribute('data-keywords')")
    refill_with(page, SET_JSON_LD, json.dumps({"@type": "NewsArticle", "headline": "Only a headline"}))
    refill_with(page, SET_JSON_LD, json.dumps(ld | {"@type": "Event"}))
    assert [(a["topic"], a["keywords"], a["title"]) for a in asked] == [
        ("bravo-topic", "own", "From JSON-LD"),
        ("bravo-topic", "ld one", "From JSON-LD"),
        ("charlie-topic", "news one,news two,plain,tagged", "Only a headline"),
        ("charlie-topic", "news one,news two,plain,tagged", "From og:title"),  # no article in it: the meta tags
    ]


def test_what_the_page_carries_is_cut_to_what_the_api_accepts(context, stack):
    asked = asked_context(context)
    article = {
        "@type": "NewsArticle",
        "articleSection": "s" * 150,
        "headline": "h" * 700,
        "description": "d" * 3000,
        "keywords": ["k" * 150] + [f"kw{i}" for i in range(60)],
    }
    page = open_page(context, stack, "json-ld-long", page_html(stack.base, "", head=json_ld(article)))
    settled(page)
    (a,) = asked
    assert a["status"] in (200, 204)
    assert (len(a["topic"]), len(a["title"]), len(a["summary"])) == (100, 500, 500)
    assert a["keywords"].split(",") == [f"kw{i}" for i in range(50)]  # the one over 100 characters is left out


# --- the docs page --------------------------------------------------------------------------------


def test_docs_page_fetches_nothing_from_another_host(context, stack):
    hosts = set()
    context.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    page = context.new_page()
    page.goto(f"{stack.base}/docs")
    page.wait_for_selector("text=Decision", timeout=15000)
    page.wait_for_timeout(500)
    assert hosts == {urlsplit(stack.base).netloc}


# --- the view beacon ----------------------------------------------------------------------------


def scroll_to_card(page) -> float:
    """Scroll the card to the middle of the viewport; returns the page's clock at that moment."""
    return page.locator("[data-adserver-slot] .ads-card").evaluate(
        "c => { c.scrollIntoView({block: 'center'}); return performance.now(); }"
    )


def scroll_away(page) -> None:
    page.evaluate("window.scrollTo(0, 0)")


def test_view_beacon_fires_after_one_second_in_view_and_not_before(context, stack):
    page = open_page(context, stack, "view", page_html(stack.base, "charlie-topic", before=2500))
    settled(page)
    page.wait_for_timeout(1500)
    assert beacons(page) == []  # below the fold: no view
    t0 = scroll_to_card(page)
    page.wait_for_function("window.__beacons.length > 0", timeout=5000)
    waited = beacons(page)[0]["t"] - t0
    assert 1000 <= waited < 1600


def test_card_scrolled_out_after_half_a_second_is_not_viewed(context, stack):
    page = open_page(context, stack, "glance", page_html(stack.base, "charlie-topic", before=2500))
    settled(page)
    scroll_to_card(page)
    page.wait_for_timeout(500)
    scroll_away(page)
    page.wait_for_timeout(1500)
    assert beacons(page) == []


def test_card_less_than_half_visible_is_not_viewed(context, stack):
    page = open_page(context, stack, "partial", page_html(stack.base, "charlie-topic", before=2500))
    settled(page)
    card = page.locator("[data-adserver-slot] .ads-card")
    # Scroll so that only the top 30% of the card is inside the viewport.
    card.evaluate(
        "c => { const r = c.getBoundingClientRect(); window.scrollBy(0, r.top - window.innerHeight + r.height * 0.3); }"
    )
    page.wait_for_timeout(1600)
    assert beacons(page) == []


def set_tab_hidden(page, hidden: bool) -> None:
    """What the browser does when the reader switches tabs: `document.hidden` and a visibilitychange."""
    page.evaluate(
        "h => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => h});"
        " document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


def test_hidden_tab_time_does_not_count_towards_a_view(context, stack):
    page = open_page(context, stack, "hidden", page_html(stack.base, "charlie-topic", before=2500))
    settled(page)
    scroll_to_card(page)
    page.wait_for_timeout(300)
    set_tab_hidden(page, True)
    page.wait_for_timeout(1500)
    assert beacons(page) == []
    back = page.evaluate("performance.now()")
    set_tab_hidden(page, False)
    page.wait_for_function("window.__beacons.length > 0", timeout=5000)
    assert beacons(page)[0]["t"] - back >= 1000


def test_view_beacon_fires_once(context, stack):
    sent = []
    context.on("request", lambda r: "/t/view/" in r.url and sent.append(r.url))
    page = open_page(context, stack, "once", page_html(stack.base, "charlie-topic", before=2500))
    settled(page)
    scroll_to_card(page)
    page.wait_for_function("window.__beacons.length > 0")
    scroll_away(page)
    scroll_to_card(page)
    page.wait_for_timeout(1600)
    assert len(beacons(page)) == 1
    assert len(sent) == 1


# --- click and report ---------------------------------------------------------------------------


def report(stack, token: str, **params) -> dict:
    from urllib.request import Request, urlopen

    day = datetime.now(UTC).date().isoformat()
    q = "&".join(f"{k}={v}" for k, v in ({"from": day, "to": day, "group_by": "campaign"} | params).items())
    req = Request(f"{stack.base}/v1/reports?{q}", headers={"Authorization": f"Bearer {token}"})
    with urlopen(req, timeout=5) as r:
        import json

        return json.load(r)


def test_click_opens_the_landing_page_counts_once_and_the_report_shows_it(context, stack):
    token = api_tokens.create(stack.services.db, "charlie")
    before = report(stack, token)["totals"]
    page = open_page(context, stack, "click", page_html(stack.base, "charlie-topic"))
    settled(page)
    page.wait_for_function("window.__beacons.length > 0")  # in view from the start: viewed after 1 s
    with context.expect_page() as landing:
        page.locator("[data-adserver-slot] .ads-title a").click()
    landing.value.wait_for_url("https://landing.charlie.example/offer")
    want = {k: before[k] + 1 for k in ("impressions", "viewable_impressions", "clicks")}

    def counted() -> dict:
        totals = report(stack, token)["totals"]
        return {k: totals[k] for k in want}

    # Waits on state: the deadline only bounds a failure (how fresh reports are is a figure, not a test).
    deadline, got = time.monotonic() + 120, counted()
    while got != want and time.monotonic() < deadline:
        time.sleep(0.2)
        got = counted()
    assert got == want
    # Counted once: with nothing left waiting in Redis, the report still shows one of each.
    conn, ks = stack.services.redis, stack.services.keys
    while jobs.waiting(conn, ks) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert jobs.waiting(conn, ks) == 0 and counted() == want
    assert stack.landings.count("https://landing.charlie.example/offer") == 1


# --- adserver's own pages: accessible, and worked by keyboard -------------------------------------------


def test_front_page_passes_the_accessibility_check(context, stack):
    page = context.new_page()
    page.goto(f"{stack.base}/")
    assert_accessible(page, stack)


# The focused element: its name, and whether its focus ring is solid, 2px or wider and 3:1 against the page.
FOCUSED = """() => { const e = document.activeElement, s = getComputedStyle(e);
  return [e.id || e.textContent.trim(), s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor,
          getComputedStyle(document.body).backgroundColor]; }"""


def test_token_page_is_worked_by_keyboard_in_order_with_a_visible_focus_ring(context, stack, report_data):
    page = context.new_page()
    page.goto(f"{stack.base}/reports")
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        name, style, width, ring, ground = page.evaluate(FOCUSED)
        assert style == "solid" and width >= 2 and contrast(ring, ground) >= 3, (name, style, width, ring)
        order.append(name)
    assert order == ["Skip to content", "adserver", "Campaigns", "Reports", "Demo", "API docs", "token", "Use token"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(report_data["alpha"])
    page.keyboard.press("Enter")  # the form is sent from the keyboard
    page.wait_for_selector("body[data-loaded]", state="attached")


# --- the report page ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_data(stack):
    """A month of rollups for alpha and bravo, written straight into daily_rollups."""
    from adserver.infra import storage

    today = datetime.now(UTC).date()
    with stack.services.db.session() as s:
        for i in range(30):
            for adv, scale in (("alpha", 100), ("bravo", 10)):
                s.merge(
                    storage.DailyRollup(
                        day=today - timedelta(days=i + 1),
                        campaign_id=f"{adv}-main",
                        creative_id=f"{adv}-card",
                        placement="article-footer",
                        topic=f"{adv}-topic",
                        impressions=scale + i * 3,
                        views=scale // 2 + i,
                        clicks=i % 5,
                        nonbillable_impressions=i % 3,
                        bot_impressions=i % 3,
                        rate_limited_clicks=i % 2,
                        nonbillable_views=0,
                        nonbillable_clicks=0,
                        spend=(scale + i) / 500,
                    )
                )
    return {adv: api_tokens.create(stack.services.db, adv) for adv in ("alpha", "bravo")}


def open_reports(context, stack, token: str, group_by: str = "day"):
    page = context.new_page()
    page.goto(f"{stack.base}/reports")
    page.fill("#token", token)
    page.click("#auth button")
    page.wait_for_selector("body[data-loaded]", state="attached")
    if group_by != "day":
        page.evaluate("document.body.removeAttribute('data-loaded')")
        page.select_option("#group_by", group_by)
        page.click("#query button:not([type=button])")
        page.wait_for_selector("body[data-loaded]", state="attached")
    return page


def test_report_page_draws_the_chart_and_the_table(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"])
    painted = page.locator("#chart canvas").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"
    )
    assert painted > 1000  # axes and three lines drawn, not an empty canvas
    assert page.locator("#table tbody tr").count() >= 29
    assert "Data as of" in page.locator("#freshness").inner_text() or "No events" in page.inner_text("#freshness")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)
    assert_accessible(page, stack)


def test_report_chart_legend_shows_the_ranges_totals_and_a_days_figures_under_the_pointer(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"])
    body = report(stack, report_data["alpha"], group_by="day", **{"from": page.input_value("#from"),
                                                                  "to": page.input_value("#to")})  # fmt: skip
    legend = page.locator("#chart .u-legend .u-value")
    totals = [f"{body['totals'][m]:,}" for m in ("impressions", "viewable_impressions", "clicks")]
    assert legend.all_inner_texts() == ["all 30 days", *totals]  # before any hover: no "--"
    box = page.locator("#chart .u-over").bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)  # the first day
    first = body["rows"][0]
    assert first["day"] == page.input_value("#from")
    day = [f"{first[m]:,}" for m in ("impressions", "viewable_impressions", "clicks")]
    assert legend.all_inner_texts() == [first["day"], *day]
    page.mouse.move(0, 0)
    assert legend.all_inner_texts() == ["all 30 days", *totals]


def test_report_page_keeps_traffic_not_billed_in_its_own_columns(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"])
    sections = page.locator("#table thead tr").first.inner_text()
    kinds = ("Billable", "Bots, not billed", "Prefetch, not billed", "Unknown pages, not billed", "Rate-limited (429)")
    assert all(s in sections for s in kinds)
    body = report(stack, report_data["alpha"], group_by="day", **{"from": page.input_value("#from"),
                                                                  "to": page.input_value("#to")})  # fmt: skip
    total = page.locator("#table tfoot td").all_inner_texts()
    assert int(total[-1]) == body["totals"]["rate_limited_clicks"] > 0  # the last column
    assert int(total[7]) == body["totals"]["bot_impressions"] > 0  # "total", 6 billable, then bot impressions


def test_report_page_keeps_the_token_out_of_storage_and_cookies(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"])
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert context.cookies() == []
    assert page.input_value("#token") == ""


def test_report_page_isolates_advertisers(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"], "campaign")
    alpha = page.inner_text("#table tbody")
    assert page.inner_text("#status") == "1 row."
    bravo = open_reports(context, stack, report_data["bravo"], "campaign").inner_text("#table tbody")
    assert "alpha-main" in alpha and "bravo-main" not in alpha
    assert "bravo-main" in bravo and "alpha-main" not in bravo


def test_report_page_csv_download_parses_back_to_the_json_numbers(context, stack, report_data):
    page = open_reports(context, stack, report_data["bravo"])
    with page.expect_download() as dl:
        page.click("#csv")
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(), newline="")))
    start, end = page.input_value("#from"), page.input_value("#to")
    body = report(stack, report_data["bravo"], group_by="day", **{"from": start, "to": end})
    assert [int(r["impressions"]) for r in rows[:-1]] == [r["impressions"] for r in body["rows"]]
    assert float(rows[-1]["spend"]) == body["totals"]["spend"]


def total_cell(page, heading: str) -> str:
    """The totals row's cell under the column headed `heading` (its metric name, in the title)."""
    return page.evaluate(
        "m => { const ths = [...document.querySelectorAll('#table thead tr:last-child th')];"
        " const i = ths.findIndex(th => (th.title || th.textContent) === m);"
        " return document.querySelectorAll('#table tfoot td')[i].textContent; }",
        heading,
    )


def test_report_page_shows_rates_as_percentages(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"])
    body = report(stack, report_data["alpha"], group_by="day", **{"from": page.input_value("#from"),
                                                                  "to": page.input_value("#to")})  # fmt: skip
    for metric in ("view_rate", "ctr"):
        text = total_cell(page, metric)
        assert text.endswith("%")
        assert float(text.rstrip("%\u00a0 ")) == pytest.approx(body["totals"][metric] * 100, abs=0.01)


def test_report_page_names_the_advertiser(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"])
    assert page.inner_text("#who") == "Reports for Alpha (alpha)"


def test_report_page_shows_data_as_of_in_the_viewers_time_zone_with_utc_kept(browser, stack, report_data):
    from urllib.request import Request, urlopen

    # One impression, persisted by the stack's worker, so the report has a newest event.
    urlopen(Request(f"{stack.base}/v1/decision?topic=alpha-topic", headers={"User-Agent": READER_UA}), timeout=5)
    deadline = time.monotonic() + 10
    while report(stack, report_data["alpha"])["data_as_of"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
    first = datetime.fromisoformat(report(stack, report_data["alpha"])["data_as_of"])
    ctx = browser.new_context(user_agent=READER_UA, timezone_id="Asia/Tokyo", locale="en-GB")
    page = open_reports(ctx, stack, report_data["alpha"])
    last = datetime.fromisoformat(report(stack, report_data["alpha"])["data_as_of"])
    shown = page.locator("#freshness time")
    in_page = datetime.fromisoformat(shown.get_attribute("datetime").replace("Z", "+00:00"))
    # Events of earlier tests may still be persisting, so the newest one can move while the page loads: the
    # page shows an instant the API gave between the two reads (a JS Date keeps milliseconds).
    assert first.replace(microsecond=first.microsecond // 1000 * 1000) <= in_page <= last
    tokyo = in_page.astimezone(timezone(timedelta(hours=9)))
    assert tokyo.strftime("%H:%M") in shown.inner_text()
    assert f"{in_page.astimezone(UTC):%Y-%m-%d %H:%M} UTC" in page.inner_text("#freshness")
    ctx.close()


def submit_a_wrong_token(context, stack, path: str):
    """A token page given a token nobody has: it says so in words."""
    page = context.new_page()
    page.goto(f"{stack.base}{path}")
    page.fill("#token", "ads_wrong-token")
    page.click("#auth button")
    page.wait_for_selector("#status.error")
    assert "That token was not accepted" in page.inner_text("#status")
    return page


def test_report_page_wrong_token_leaves_the_field_to_try_again(context, stack, report_data):
    page = submit_a_wrong_token(context, stack, "/reports")
    assert "Bearer" not in page.inner_text("#status")
    assert_accessible(page, stack)  # the token page, with its error
    assert page.locator("#token").is_visible() and page.locator("#query").is_hidden()
    assert page.input_value("#token") == "ads_wrong-token"  # to correct, not to retype
    page.fill("#token", report_data["alpha"])
    page.click("#auth button")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.locator("#query").is_visible() and page.locator("#auth").is_hidden()


def test_report_page_explains_errors_in_words(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"])
    page.fill("#from", "2026-11-20")
    page.fill("#to", "2026-11-10")
    page.click("#query button:not([type=button])")
    page.wait_for_selector("#status.error")
    assert page.inner_text("#status") == "To: Must not be before `from`."
    page.route("**/v1/reports**", lambda r: r.abort("connectionrefused"))
    page.fill("#to", "2026-11-25")
    page.click("#query button:not([type=button])")
    # A selector, not wait_for_function: the page's CSP (script-src 'self') refuses the eval that polling needs.
    page.wait_for_selector("#status.error:has-text('could not be reached')")


def test_report_page_lets_an_operator_pick_an_advertiser_by_name(context, stack, report_data):
    page = open_reports(context, stack, api_tokens.create(stack.services.db, None), "campaign")
    assert page.inner_text("#who") == "Reports for every advertiser (operator token)"
    page.wait_for_selector("#pick:not([hidden])")
    names = page.locator("#advertiser option").all_inner_texts()
    assert names[0] == "every advertiser" and "Bravo (bravo)" in names and "Alpha (alpha)" in names
    everyone = page.inner_text("#table tbody")
    assert "alpha-main" in everyone and "bravo-main" in everyone
    page.evaluate("document.body.removeAttribute('data-loaded')")
    page.select_option("#advertiser", "bravo")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.inner_text("#who") == "Reports for Bravo (bravo)"
    assert "bravo-main" in page.inner_text("#table tbody") and "alpha-main" not in page.inner_text("#table tbody")


def test_report_page_shows_spend_with_its_currency(context, stack, report_data):
    page = open_reports(context, stack, report_data["alpha"])
    body = report(stack, report_data["alpha"], group_by="day", **{"from": page.input_value("#from"),
                                                                  "to": page.input_value("#to")})  # fmt: skip
    assert body["currency"] == "EUR"
    text = total_cell(page, "spend")
    assert "€" in text or "EUR" in text
    assert float(text.replace("€", "").replace("EUR", "").replace(",", "").strip()) == pytest.approx(
        body["totals"]["spend"], abs=0.01
    )


def test_report_page_shows_a_publisher_its_sites_name_and_earnings_only(browser, context, stack, report_data):
    """A publisher's token: its site named, its earnings in euros, no spend, no advertiser picker; at desktop and
    phone width."""
    from sqlalchemy import delete

    from adserver.infra import storage

    db, yesterday = stack.services.db, datetime.now(UTC).date() - timedelta(days=1)
    with db.session() as s:  # straight into SQL: no catalog change, so no other test's page changes site
        s.add(storage.Site(id="north-news", name="North News", domains=["north.example"], revenue_share=0.5))
        s.flush()
        s.add(storage.DailyRollup(day=yesterday, campaign_id="alpha-main", creative_id="alpha-card",
                                  placement="sidebar", topic="alpha-topic", site="north-news", impressions=40,
                                  views=20, clicks=2, nonbillable_impressions=0, nonbillable_views=0,
                                  nonbillable_clicks=0, spend=3))  # fmt: skip
    try:
        token = api_tokens.create(db, None, site_id="north-news")
        page = watched(open_reports(context, stack, token, "advertiser"))
        assert page.inner_text("#who") == "Reports for the site North News (north-news)"
        assert page.inner_text("#table tbody").split("\t")[0] == "alpha"  # alpha's only: bravo is not on it
        assert total_cell(page, "impressions") == "40"
        text = total_cell(page, "earnings:EUR")
        assert "€" in text and float(text.replace("€", "").strip()) == 1.5  # 3 × 0.5
        headings = page.locator("#table thead tr:last-child th").all_inner_texts()
        assert "spend" not in headings and "earnings EUR" in headings
        assert page.locator("#pick").is_hidden() and page.console_errors == []
        assert_accessible(page, stack)  # at desktop width, as the screenshot
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "reports-publisher.png"), full_page=True)
        phone = browser.new_context(user_agent=READER_UA, viewport={"width": 390, "height": 844})
        page = open_reports(phone, stack, token)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls, not the page
        page.screenshot(path=str(ARTIFACTS / "reports-publisher-phone.png"), full_page=True)
        phone.close()
    finally:
        with db.session() as s:
            s.execute(delete(storage.DailyRollup).where(storage.DailyRollup.site == "north-news"))
            s.execute(delete(storage.ApiToken).where(storage.ApiToken.site_id == "north-news"))
            s.execute(delete(storage.Site).where(storage.Site.id == "north-news"))
            db.bump_catalog_version(s)  # a snapshot loaded meanwhile would make every other page an unknown one
        stack.services.catalog.refresh(force=True)


# --- the advertiser page (self-service) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def echo(stack):
    """An advertiser of its own (topic echo-topic, nobody else's) with limits, and its token."""
    from adserver.catalog import self_service

    db = stack.services.db
    import_catalog(db, {"advertisers": [sponsor("echo", ["echo-topic"])]})
    stack.services.catalog.refresh(force=True)
    self_service.set_limits(db, "echo", max_total_budget=3000, max_daily_budget=300, min_cpm=1, min_cpc=0.1)
    return api_tokens.create(db, "echo")


def open_advertiser(context, stack, token: str):
    page = watched(context.new_page())
    page.goto(f"{stack.base}/advertiser")
    page.fill("#token", token)
    page.click("#auth button")
    page.wait_for_selector("body[data-loaded]", state="attached")
    return page


def api_get(stack, token: str, path: str):
    from urllib.request import Request, urlopen

    with urlopen(Request(f"{stack.base}{path}", headers={"Authorization": f"Bearer {token}"}), timeout=5) as r:
        return json.load(r)


def decision_for(stack, topic: str) -> str | None:
    from urllib.request import Request, urlopen

    req = Request(f"{stack.base}/v1/decision?topic={topic}", headers={"User-Agent": READER_UA})
    with urlopen(req, timeout=5) as r:
        return json.load(r)["card"]["creative_id"] if r.status == 200 else None


def row(page, campaign: str):
    return page.locator(f'tr[data-campaign="{campaign}"]')


def test_advertiser_page_shows_only_the_tokens_campaigns_and_keeps_the_token_out_of_storage(context, stack, echo):
    page = open_advertiser(context, stack, echo)
    assert page.inner_text("#who") == "Campaigns of Echo (echo)"
    assert page.locator("#campaigns tbody tr[data-campaign]").count() == 1
    assert page.inner_text("#status") == "1 campaign."
    assert row(page, "echo-main").is_visible() and page.locator('tr[data-campaign="alpha-main"]').count() == 0
    assert "3,000" in page.inner_text("#limits") and "CPC from" in page.inner_text("#limits")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert context.cookies() == [] and page.input_value("#token") == ""
    assert page.console_errors == []  # a script the page's CSP refused would show here


def test_advertiser_page_pauses_and_resumes_a_campaign(context, stack, echo):
    page = open_advertiser(context, stack, echo)
    assert decision_for(stack, "echo-topic") == "echo-card"
    row(page, "echo-main").get_by_role("button", name="Pause").click()
    page.wait_for_selector("#status:has-text('Campaign echo-main paused.')")
    assert api_get(stack, echo, "/v1/campaigns/echo-main")["status"] == "paused"
    assert decision_for(stack, "echo-topic") is None
    row(page, "echo-main").get_by_role("button", name="Resume").click()
    page.wait_for_selector("#status:has-text('Campaign echo-main resumed.')")
    assert decision_for(stack, "echo-topic") == "echo-card"


def test_advertiser_page_creates_a_campaign_with_its_errors_in_one_round_a_preview_and_its_delivery(
    context, stack, echo
):
    """Every part of a campaign on the form: an id made from its name, a hook per topic, a country and a schedule;
    a bad field and the operator's limits answered together, each at its field; the card previewed as typed;
    and once saved, approved and delivered, its figures in the list."""
    from adserver.catalog import review

    page = open_advertiser(context, stack, echo)
    page.click("#new-campaign")
    page.fill("#c-name", "Autumn walks")
    assert (page.input_value("#c-id"), page.input_value("#c-creatives-0-id")) == (
        "echo-autumn-walks",
        "echo-autumn-walks-card",
    )
    page.fill("#c-pricing-price", "0.5")  # under the operator's CPM floor of 1
    page.fill("#c-budget-total", "999999")  # past the operator's cap of 3000
    page.fill("#c-budget-daily", "50")
    page.select_option("#c-targeting-topics", ["travel"])
    page.fill("#c-targeting-topics-other", "echo-autumn-topic")
    page.click("text=Countries, regions and devices")
    page.select_option("#c-targeting-countries", ["DE"])
    page.click("text=Schedule: days, hours and time zone")
    page.check('#c-targeting-schedule-days input[value="mon"]')
    page.fill("#c-targeting-schedule-hours", "07-10")
    page.fill("#c-targeting-schedule-timezone", "Europe/Berlin")
    # the reach forecast follows the targeting as it is edited (its figures: tests/api/test_forecast.py)
    sync_api.expect(page.locator("#forecast")).to_contain_text(
        re.compile(r"matching impressions a day|No articles recorded yet")
    )
    page.fill("#c-creatives-0-display_name", "Echo")
    page.fill("#c-creatives-0-title", "Autumn walks for your readers")
    page.fill("#c-creatives-0-hook", "Out walking?")
    page.click("#first-creative .add-hook")
    page.locator("#first-creative .hook-row select").select_option("travel")
    page.locator("#first-creative .hook-row input").fill("Planning a trip?")
    page.fill("#c-creatives-0-cta-text", "See more")
    page.fill("#c-creatives-0-cta-url", "https://landing.echo.example/autumn")
    preview = page.locator("#c-preview .ads-card")
    page.select_option("#c-preview-topic", "travel")
    sync_api.expect(preview.locator(".ads-hook")).to_have_text("Planning a trip?")  # the topic's own hook
    assert preview.locator(".ads-title").inner_text() == "Autumn walks for your readers"
    page.click("text=Code, image, second button and fine print")
    page.fill("#c-creatives-0-image_url", "not an address")  # a bad field, beside the refused limits

    page.click("#campaign-form .actions button:not([type=button])")
    page.wait_for_selector("#status.error")
    for field in ("pricing-price", "budget-total", "creatives-0-image_url"):  # one round: all three at once
        assert page.get_attribute(f"#c-{field}", "aria-invalid") == "true"
        assert f"c-{field}-error" in page.get_attribute(f"#c-{field}", "aria-describedby")
    assert "may add up to 3000 EUR" in page.inner_text("#c-budget-total-error")
    assert page.evaluate("document.activeElement.id") == "c-pricing-price"  # the first, in the form's order
    assert page.inner_text("#status").startswith("3 fields need a change.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#campaign-form").screenshot(path=str(ARTIFACTS / "advertiser-errors.png"))

    page.fill("#c-pricing-price", "1.5")
    page.fill("#c-budget-total", "1000")
    page.fill("#c-creatives-0-image_url", "")
    page.click("#campaign-form .actions button:not([type=button])")
    page.wait_for_selector("#status:has-text('Campaign echo-autumn-walks created.')")
    saved = api_get(stack, echo, "/v1/campaigns/echo-autumn-walks")
    assert saved["targeting"]["countries"] == ["DE"]
    assert saved["targeting"]["topics"] == ["travel", "echo-autumn-topic"]
    assert saved["targeting"]["schedule"] == {"days": ["mon"], "hours": ["07-10"], "timezone": "Europe/Berlin"}
    assert saved["creatives"][0]["hook_variants"] == {"travel": "Planning a trip?"}
    assert "waiting for review" in row(page, "echo-autumn-walks").inner_text()

    review.approve(stack.services.db, "echo-autumn-walks")
    stack.services.catalog.refresh()
    today = datetime.now(UTC).date()
    with stack.services.db.session() as s:
        s.add(rollup_row(today, "echo-autumn-walks", 1200, 900, 12, "1.8", creative="echo-autumn-walks-card"))
    page.evaluate("document.body.removeAttribute('data-loaded')")
    row(page, "echo-main").get_by_role("button", name="Pause").click()  # any change reloads the list
    page.wait_for_selector("#status:has-text('Campaign echo-main paused.')")
    cells = row(page, "echo-autumn-walks").locator("td").all_inner_texts()
    assert cells[2:8] == ["1,200", "1,200", "1,200", "75%", "12 (1%)", cells[7]]
    assert cells[7].startswith("€1.80 of €1,000") and "of €50 today" in cells[7]
    assert "waiting for review" not in cells[0]
    assert row(page, "echo-main").locator("td").first.inner_text() == "paused"
    row(page, "echo-main").get_by_role("button", name="Resume").click()
    page.wait_for_selector("#status:has-text('Campaign echo-main resumed.')")
    # The browser logs each 4xx answer (the refused save, a preview of the bad image); nothing else went wrong.
    assert [e for e in page.console_errors if "status of 4" not in e] == [] and page.dialogs == []
    page.click("#new-campaign")
    page.fill("#c-creatives-0-title", "Winter walks")
    sync_api.expect(page.locator("#c-preview .ads-title")).to_have_text("Winter walks")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"advertiser-{width}.png"), full_page=True)


def test_advertiser_page_names_the_field_the_operators_limits_refuse(context, stack, echo):
    page = open_advertiser(context, stack, echo)
    row(page, "echo-main").get_by_role("button", name="Edit").click()
    page.fill('#campaign-form [name="budget.total"]', "999999")
    page.click("#campaign-form .actions button:not([type=button])")
    page.wait_for_selector("#status.error")
    assert "Total budget: Your campaigns' total budgets may add up to 3000 EUR" in page.inner_text("#status")
    assert page.get_attribute('#campaign-form [name="budget.total"]', "aria-invalid") == "true"
    assert api_get(stack, echo, "/v1/campaigns/echo-main")["budget"]["total"] == 1000  # nothing changed
    assert_accessible(page, stack)  # the campaigns, and the form with its error


def counted(stack) -> tuple[set, dict]:
    """What an event leaves in Redis: its once-marker and the day's queued counts."""
    r = stack.services.redis
    day = datetime.now(UTC).date().isoformat()
    return set(r.scan_iter(match=f"{keys.PREFIX}*events:seen:*")), r.hgetall(keys.SINGLE.counts(day))


def test_advertiser_page_previews_a_creative_as_the_card_with_its_text_escaped(context, stack, echo):
    page = open_advertiser(context, stack, echo)
    page.locator('tr[data-creative="echo-card"]').get_by_role("button", name="Edit").click()
    page.fill('#creative-form [name="title"]', HOSTILE)
    page.click("#creative-form button:not([type=button])")
    page.wait_for_selector("#status:has-text('Creative echo-card saved.')")
    before = counted(stack)
    page.locator('tr[data-creative="echo-card"]').get_by_role("button", name="Preview").click()
    page.wait_for_selector("#preview[data-creative=echo-card]", state="attached")
    assert page.locator("#preview .ads-card .ads-title").inner_text() == HOSTILE  # the snippet's card, as text
    assert page.locator("#preview .ads-cta").get_attribute("href") == "https://landing.echo.example/offer"
    assert page.dialogs == [] and page.console_errors == []
    # A preview counts nothing: no event marked, no count queued (other keys come and go with the worker).
    assert counted(stack) == before
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "advertiser.png"), full_page=True)


def test_advertiser_page_wrong_token_leaves_the_field_to_try_again(context, stack, echo):
    page = submit_a_wrong_token(context, stack, "/advertiser")
    assert page.input_value("#token") == "ads_wrong-token" and page.locator("#workspace").is_hidden()


def test_advertiser_page_lets_an_operator_act_for_an_advertiser(context, stack, echo):
    page = open_advertiser(context, stack, api_tokens.create(stack.services.db, None))
    page.wait_for_selector("#pick:not([hidden])")
    page.evaluate("document.body.removeAttribute('data-loaded')")
    page.select_option("#advertiser", "echo")
    page.wait_for_selector("body[data-loaded]", state="attached")
    assert page.inner_text("#who") == "Campaigns of Echo (echo), acting as the operator"
    assert row(page, "echo-main").is_visible() and page.locator('tr[data-campaign="alpha-main"]').count() == 0
    row(page, "echo-main").get_by_role("button", name="Pause").click()
    page.wait_for_selector("#status:has-text('Campaign echo-main paused.')")
    row(page, "echo-main").get_by_role("button", name="Resume").click()
    page.wait_for_selector("#status:has-text('Campaign echo-main resumed.')")
    assert api_get(stack, api_tokens.create(stack.services.db, "echo"), "/v1/campaigns/echo-main")["status"] == "active"


def test_advertiser_page_edits_an_operators_flat_deal_without_touching_its_pricing(context, stack, echo):
    deal = sponsor("echo", ["echo-deal-topic"])
    deal["campaigns"][0] |= {"id": "echo-deal", "name": "Deal", "pricing": {"model": "flat", "price": 500}}
    deal["campaigns"][0]["creatives"][0]["id"] = "echo-deal-card"
    import_catalog(stack.services.db, {"advertisers": [deal]})  # the operator's flat deal, beside echo-main
    page = open_advertiser(context, stack, echo)
    row(page, "echo-deal").get_by_role("button", name="Edit").click()
    assert page.input_value('#campaign-form [name="pricing.model"]') == "flat"
    page.fill('#campaign-form [name="name"]', "Deal, renamed")
    page.click("#campaign-form button:not([type=button])")
    page.wait_for_selector("#status:has-text('Campaign echo-deal saved.')")
    saved = api_get(stack, echo, "/v1/campaigns/echo-deal")
    assert (saved["name"], saved["pricing"]) == ("Deal, renamed", {"model": "flat", "price": 500})


# --- sites: only a page on its site's domains bills (issue 22) --------------------------------------


def to_publisher(port: int):
    """A route handler sending a request for another host to the publisher's server on this machine: a page
    served from a loopback address may ask our loopback server (Chromium's private network rules)."""
    return lambda route: route.continue_(url=f"http://127.0.0.1:{port}{urlsplit(route.request.url).path}")


def test_the_snippet_on_two_sites_bills_their_pages_and_an_unlisted_hosts_never(context, stack):
    """Two sites on the two local names of one machine and a third, unlisted host, each embedding the snippet
    with its `data-site`: all three get a card; only the two sites' impressions bill."""
    from sqlalchemy import delete, select

    from adserver.catalog import sites
    from adserver.infra import storage

    svc, port = stack.services, urlsplit(stack.publisher).port
    with sites.local_domains(True):  # loopback names are site domains in tests and development only
        two = [
            {"id": f"site-{x}", "name": x, "domains": [host]} for x, host in (("a", "localhost"), ("b", "127.0.0.1"))
        ]
        import_catalog(svc.db, {"advertisers": [], "sites": two})
    svc.catalog.refresh(force=True)
    pages = {
        f"http://localhost:{port}/a": "site-a",
        f"http://127.0.0.1:{port}/b": "site-b",
        f"http://unlisted.example:{port}/c": "site-a",  # claims site-a from a host it does not list
    }
    try:
        decided = {}
        for url, site in pages.items():
            stack.pages[urlsplit(url).path] = page_html(stack.base, "alpha-topic", attrs=f'data-site="{site}"')
            context.route(url, to_publisher(port))
            page = watched(context.new_page())
            page.goto(url)
            settled(page)
            slot = page.locator("[data-adserver-slot]")
            assert slot.get_attribute("data-adserver-state") == "filled" and page.console_errors == []
            decided[slot.get_attribute("data-adserver-decision")] = urlsplit(url).hostname
        e = storage.Event
        stored = []
        while len(stored) < len(decided):  # the worker persists them: wait on SQL's state, not a clock
            with svc.db.sessionmaker() as s:
                rows = s.execute(
                    select(e.decision_id, e.billable, e.reason, e.site).where(
                        e.decision_id.in_(decided), e.event_type == "impression"
                    )
                ).all()
            stored = {decided[d]: (billable, reason, site) for d, billable, reason, site in rows}
        assert stored == {
            "localhost": (True, "", "site-a"),
            "127.0.0.1": (True, "", "site-b"),
            "unlisted.example": (False, "unknown-origin", "site-a"),
        }
    finally:
        with svc.db.session() as s:  # the other tests' pages are no site's: back to the implicit `default`
            s.execute(delete(storage.Site))
            svc.db.bump_catalog_version(s)
        svc.catalog.refresh(force=True)
