"""Catalog URLs: public http(s) addresses only, hosts stored as punycode."""

from __future__ import annotations

import pytest

from adserver.catalog.files import import_catalog, validate_catalog
from adserver.errors import CatalogError
from tests.builders import catalog_file

CREATIVE = "advertisers.0.campaigns.0.creatives.0"


def with_url(url: str, field: str = "cta") -> dict:
    data = catalog_file()
    creative = data["advertisers"][0]["campaigns"][0]["creatives"][0]
    if field == "image_url":
        creative["image_url"] = url
    else:
        creative[field] = {"text": "Go", "url": url}
    return data


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://trusted.com@evil.com/", "user name"),
        ("https://trusted.com:pw@evil.com/", "user name"),
        ("http://127.0.0.1/admin", "public address"),
        ("http://2130706433/", "public address"),  # 127.0.0.1 as browsers read it
        ("http://[::1]/", "public address"),
        ("http://10.0.0.7/", "public address"),
        ("http://192.168.1.1/", "public address"),
        ("http://169.254.169.254/latest/meta-data", "public address"),
        ("http://localhost:8000/", "local one"),
        ("https://printer.local/", "local one"),
        ("https://example.com/\u202egnp.exe", "bidirectional"),
        ("https://exa\u200fmple.com/", "bidirectional"),
        # Characters a browser folds to ASCII (UTS #46): the host it asks for is what counts.
        ("http://\u2460\u2461\u2466.0.0.1/", "stand for ASCII"),  # circled digits: 127.0.0.1
        ("http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54:6379/", "stand for ASCII"),  # fullwidth
        ("https://\u2460\u2468\u2461.\u2460\u2465\u2467.\u2460.\u2460/router.png", "stand for ASCII"),
        ("http://169.254.\u2460\u2465\u2468.\u2461\u2464\u2463/", "stand for ASCII"),
        ("http://127\u30020\u30020\u30021/", "public address"),  # ideographic full stops: 127.0.0.1
        ("https://evil.example:99999/", "port"),
        ("https://evil.example:0/", "port"),
    ],
)
@pytest.mark.parametrize("field", ["cta", "secondary_cta", "image_url"])
def test_a_catalog_url_that_is_not_a_public_web_address_is_refused_naming_the_field(url, says, field):
    with pytest.raises(CatalogError) as exc:
        validate_catalog(with_url(url, field))
    path = f"{CREATIVE}.{field}" if field == "image_url" else f"{CREATIVE}.{field}.url"
    assert says in exc.value.fields[path][0]


def test_public_urls_are_accepted_as_they_are():
    for url in ("https://zahid.host/signup?utm_source=adserver", "https://8.8.8.8/x", "http://example.com:8080/"):
        validate_catalog(with_url(url))


def test_an_internationalised_host_is_accepted_in_punycode_with_its_port():
    data = validate_catalog(with_url("https://m\u00fcnchen.de:8443/a?b=1"))
    creative = data["advertisers"][0]["campaigns"][0]["creatives"][0]
    assert creative["cta"]["url"] == "https://xn--mnchen-3ya.de:8443/a?b=1"


def test_an_internationalised_host_is_stored_and_redirected_to_as_punycode(client, services):
    import_catalog(services.db, with_url("https://b\u00fccher.de/angebot"))
    services.catalog.refresh(force=True)
    (creative,) = services.catalog.get().creatives.values()
    assert creative.landing_url == "https://xn--bcher-kva.de/angebot"
