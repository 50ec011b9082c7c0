"""Bot and crawler detection on the User-Agent: bounded work whatever the client sends."""

from __future__ import annotations

import random
import time

import pytest
from crawlerdetect import CrawlerDetect

from adserver.audience import bots, devices

HEADER_LIMIT = 8190  # gunicorn's limit_request_field_size: the longest User-Agent that reaches us

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "YandexSearch/1.0 Mozilla/5.0",
]
CRAWLERS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
]


def _long_agents():
    rnd = random.Random(7)
    letters = "".join(chr(97 + (i * 7) % 26) for i in range(HEADER_LIMIT))
    mixed = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ABC/;().0123456789") for _ in range(HEADER_LIMIT))
    return {"a": "a" * HEADER_LIMIT, "letters": letters, "mixed": mixed, "browser+": BROWSERS[0] + "x" * 8000}


@pytest.mark.parametrize("shape", list(_long_agents()))
def test_any_user_agent_up_to_the_header_limit_is_classified_within_a_millisecond(shape):
    bots.is_bot("Mozilla/5.0")  # the list is compiled once per process, at app start
    ua = _long_agents()[shape]
    best = float("inf")
    for i in range(3):
        fresh = ua[: len(ua) - i]  # never answered from the cache
        t = time.perf_counter()
        bots.is_bot(fresh)
        devices.ua_class(fresh)
        best = min(best, time.perf_counter() - t)
    assert best < 0.001, f"{best * 1000:.2f} ms"


@pytest.mark.parametrize("ua", BROWSERS + CRAWLERS)
def test_classification_agrees_with_crawlerdetect(ua):
    assert bots.is_bot(ua) == CrawlerDetect().isCrawler(ua)


def test_crawlers_are_bots_and_browsers_are_classed_by_device():
    assert all(devices.ua_class(ua) == "bot" for ua in CRAWLERS)
    assert devices.ua_class(BROWSERS[0]) == "desktop"
    assert devices.ua_class(BROWSERS[1]) == "mobile"
    assert devices.ua_class("") == "none"


def test_the_cache_is_keyed_by_the_classified_prefix_only():
    bots._is_bot.cache_clear()
    for n in range(50):
        bots.is_bot(BROWSERS[0] + "x" * bots.CLASSIFIED_CHARS + str(n))  # differ only past the cap
    assert bots._is_bot.cache_info().currsize == 1
