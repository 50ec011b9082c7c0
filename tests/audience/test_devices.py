"""The reader's device from the User-Agent: ua-parser's maintained rules, bounded and cached."""

from __future__ import annotations

import pytest

from adserver.audience import devices
from tests.builders import BROWSER_AGENTS


@pytest.mark.parametrize("kind,agent", [(k, a) for k, agents in BROWSER_AGENTS.items() for a in agents])
def test_phones_tablets_and_computers_are_told_apart(kind, agent):
    assert devices.device(agent) == kind
    assert devices.ua_class(agent) == kind


def test_an_android_agent_without_mobile_is_a_tablet_and_with_it_a_phone():
    tablet = BROWSER_AGENTS["tablet"][1]
    assert devices.device(tablet.replace("Safari/", "Mobile Safari/")) == "mobile"


def test_no_agent_has_no_device_and_a_crawler_is_a_bot():
    assert devices.device("") == "" and devices.ua_class("") == "none"
    assert devices.ua_class("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)") == "bot"


def test_only_the_start_of_a_long_agent_is_read_and_cached():
    long = BROWSER_AGENTS["mobile"][0] + " x" * 4000
    assert devices.device(long) == "mobile"
    assert devices._device.cache_info().currsize <= devices.CACHE_SIZE
    assert devices.device(BROWSER_AGENTS["mobile"][0] + " y" * 4000) == "mobile"
    # both are the same key: the first CLASSIFIED_CHARS characters
    assert devices.capped(long) == devices.capped(BROWSER_AGENTS["mobile"][0] + " x" * 3000)
