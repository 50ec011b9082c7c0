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


def test_an_alias_naming_two_nodes_is_refused():
    nodes = {
        "a": Node("a", "", ("x",), (), "A.", ()),
        "b": Node("b", "", ("x",), (), "B.", ()),
    }
    with pytest.raises(ValueError, match="'x' names both a and b"):
        Taxonomy(nodes)
