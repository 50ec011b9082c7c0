"""The reader's kind of device (mobile, tablet, desktop) from the User-Agent, for `targeting.devices`.

ua-parser's maintained rules (`ua-parser-builtins`) name the device and the operating system; its Rust
resolver (`ua-parser-rs`) matches them in time linear in the text. The User-Agent is the client's to
choose, so only its first `bots.CLASSIFIED_CHARS` characters are read and the answer is cached on those,
as the bot check does.
"""

from __future__ import annotations

from functools import lru_cache

import ua_parser
from ua_parser.loaders import load_lazy_builtins

from ..infra.counters import DEVICES
from .bots import CACHE_SIZE, capped, is_bot

__all__ = ["DEVICES", "device", "ua_class", "warm"]

# The families and brands ua-parser gives tablets: an Android agent without "Mobile" is a tablet by
# Google's own convention, which the rules report as the brand `Generic_Android_Tablet`.
TABLET_FAMILIES = frozenset({"iPad", "Kindle", "Kindle Fire", "Kindle Fire HD", "Galaxy Tab", "BlackBerry Playbook"})
TABLET_BRANDS = frozenset({"Generic_Android_Tablet"})
MOBILE_OS = frozenset(
    {"iOS", "Android", "Windows Phone", "Windows Mobile", "BlackBerry OS", "Firefox OS", "KaiOS", "Symbian OS"}
)
MOBILE_FAMILIES = frozenset({"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone"})


@lru_cache(maxsize=1)
def _parser() -> ua_parser.Parser:
    # No cache of its own: `_device` caches the answer, keyed by the capped agent.
    return ua_parser.Parser(ua_parser.BestAvailableResolver(load_lazy_builtins()))


def warm() -> None:
    """Load the rules now (a web process at start), not in a reader's first decision."""
    device("Mozilla/5.0")


def device(user_agent: str) -> str:
    """mobile | tablet | desktop; '' without a User-Agent."""
    return _device(capped(user_agent))


@lru_cache(maxsize=CACHE_SIZE)
def _device(user_agent: str) -> str:
    if not user_agent.strip():
        return ""
    got = _parser()(user_agent, ua_parser.Domain.OS | ua_parser.Domain.DEVICE)
    family = got.device.family if got.device else ""
    brand = (got.device.brand or "") if got.device else ""
    if family in TABLET_FAMILIES or brand in TABLET_BRANDS:
        return "tablet"
    if family in MOBILE_FAMILIES or (got.os is not None and got.os.family in MOBILE_OS):
        return "mobile"
    return "desktop"


def ua_class(user_agent: str) -> str:
    """none | bot | mobile | tablet | desktop (stored with each event)."""
    if not user_agent.strip():
        return "none"
    return "bot" if is_bot(user_agent) else device(user_agent)
