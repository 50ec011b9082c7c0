"""The reader's device from the User-Agent: ua-parser's maintained rules, bounded and cached."""

from __future__ import annotations

import pytest

from adserver import devices

AGENTS = {
    "mobile": [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
        "Mobile Safari/537.36",
    ],
    "tablet": [
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
        "Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
        "Safari/537.36",
    ],
    "desktop": [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
        "Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    ],
}


@pytest.mark.parametrize("kind,agent", [(k, a) for k, agents in AGENTS.items() for a in agents])
def test_phones_tablets_and_computers_are_told_apart(kind, agent):
    assert devices.device(agent) == kind
    assert devices.ua_class(agent) == kind


def test_an_android_agent_without_mobile_is_a_tablet_and_with_it_a_phone():
    tablet = AGENTS["tablet"][1]
    assert devices.device(tablet.replace("Safari/", "Mobile Safari/")) == "mobile"


def test_no_agent_has_no_device_and_a_crawler_is_a_bot():
    assert devices.device("") == "" and devices.ua_class("") == "none"
    assert devices.ua_class("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)") == "bot"


def test_only_the_start_of_a_long_agent_is_read_and_cached():
    long = AGENTS["mobile"][0] + " x" * 4000
    assert devices.device(long) == "mobile"
    assert devices._device.cache_info().currsize <= devices.CACHE_SIZE
    assert devices.device(AGENTS["mobile"][0] + " y" * 4000) == "mobile"
    # both are the same key: the first CLASSIFIED_CHARS characters
    assert devices.capped(long) == devices.capped(AGENTS["mobile"][0] + " x" * 3000)
