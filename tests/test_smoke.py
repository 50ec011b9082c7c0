from tests.conftest import EXAMPLE_CATALOG  # noqa: F401


def test_ai_article_gets_the_zahid_card_with_its_ai_hook(client, example_catalog):
    r = client.post(
        "/v1/decision",
        json={
            "placement": "article-footer",
            "article": {"topic": "artificial-intelligence", "keywords": ["agents"]},
        },
    )
    assert r.status_code == 200
    body = r.get_json()
    assert body["campaign"]["id"] == "zahid-ai-side-projects"
    assert body["card"]["hook"] == "reading about agents? ship yours in a single git push."
    assert "<aside" in body["html"]
