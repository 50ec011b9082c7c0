"""The pages a person opens: where they lead, and what they say about getting a token."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class Page(HTMLParser):
    """The parts of a page these tests read: links, ids, described-by references, landmarks and text."""

    def __init__(self, html: str):
        super().__init__()
        self.links, self.ids, self.described_by, self.tags, self.lang, self.text = [], set(), [], set(), None, ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("id"):
            self.ids.add(a["id"])
        if a.get("aria-describedby"):
            self.described_by.append(a["aria-describedby"])

    def handle_data(self, data):
        self.text += data


def get(client, path: str) -> Page:
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "text/html"
    return Page(r.get_data(as_text=True))


def test_the_front_page_leads_to_every_page(client):
    page = get(client, "/")
    assert {"/demo", "/reports", "/advertiser", "/docs"} <= set(page.links)
    assert page.lang == "en" and {"title", "main", "nav", "h1"} <= page.tags
    assert "adserver tokens create" in page.text
    for link in page.links:  # a page, or a place on this one (the skip link)
        assert link[1:] in page.ids if link.startswith("#") else client.get(link).status_code == 200, link


@pytest.mark.parametrize("path", ["/reports", "/advertiser"])
def test_token_pages_say_how_to_get_a_token(client, path):
    page = get(client, path)
    assert "adserver tokens create <advertiser-id>" in " ".join(page.text.split())
    assert page.described_by and set(page.described_by) <= page.ids  # the token field points at the help
