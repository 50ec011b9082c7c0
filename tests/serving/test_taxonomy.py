"""The taxonomy maps the words publishers use onto one vocabulary, and says which topics cover which."""

from __future__ import annotations

import pytest

from adserver.serving.taxonomy import Node, Taxonomy, taxonomy
from adserver.serving.text import normalize_term


@pytest.mark.parametrize(
    "said, node",
    [
        ("uk-politics", "politics"),
        ("Politics", "politics"),
        ("world", "politics"),
        ("elections", "politics"),
        ("Sports", "sport"),
        ("football", "football"),
        ("Business and Finance", "business"),
        ("Sci/Tech", "technology"),
        ("AI", "artificial-intelligence"),
        ("crime", "crime"),
        ("Courts", "crime"),
        ("justice", "crime"),
        ("law", "crime"),
        ("uk-crime", "crime"),
        ("Crime and Justice", "crime"),
    ],
)
def test_section_names_publishers_send_reach_their_node(said, node):
    assert taxonomy().resolve(normalize_term(said)) == node


def test_a_string_the_table_does_not_know_resolves_to_nothing():
    assert taxonomy().resolve("quantum-chromodynamics") == ""


def test_a_parent_covers_its_children_and_not_the_other_way_round():
    tax = taxonomy()
    assert tax.covers("sport", "football")
    assert tax.covers("technology", "machine-learning")
    assert not tax.covers("football", "sport")
    assert not tax.covers("business", "politics")
    assert tax.section("machine-learning") == "technology"


def test_crime_is_a_desk_of_its_own_that_a_politics_campaign_does_not_cover():
    tax = taxonomy()
    assert not tax.covers("politics", "crime") and not tax.covers("crime", "politics")
    assert tax.covers("politics", "war-and-conflict")  # other children stay covered
    assert tax.section("crime") == "politics"  # the text reader's sections are unchanged


@pytest.mark.parametrize("section", ["crime", "courts", "uk-crime"])
def test_no_sponsor_of_another_section_wins_a_crime_article_on_the_publishers_topic_alone(section):
    """A murder verdict once got the history-book sponsor ("want the long story behind the vote?")."""
    from adserver.serving.context import ArticleContext
    from adserver.serving.decision import decide
    from tests.catalog.test_store import snapshot_from_file
    from tests.conftest import EXAMPLE_CATALOG

    snap = snapshot_from_file(EXAMPLE_CATALOG)
    ctx = ArticleContext.create("article-footer", title="Jury returns a verdict in the murder trial", topic=section)
    out = decide(ctx, snap, explain=True)  # the publisher's topic alone: nothing reads the text here
    paid = [s.campaign.id for s in out.ranked if not s.campaign.house]
    assert paid == []
    assert out.fits["margin-nonfiction"].eligible is False


def test_an_alias_naming_two_nodes_is_refused():
    nodes = {
        "a": Node("a", "", ("x",), (), "A.", ()),
        "b": Node("b", "", ("x",), (), "B.", ()),
    }
    with pytest.raises(ValueError, match="'x' names both a and b"):
        Taxonomy(nodes)
