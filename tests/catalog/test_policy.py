"""The relevance policy (`catalog.policy`): keywords that carry meaning, the operator's floor, run of site."""

from __future__ import annotations

import pytest

from adserver.catalog.policy import RelevancePolicy

POLICY = RelevancePolicy()


def targeting(**kw) -> dict:
    return {"campaign": None, "targeting": {"topics": [], "keywords": [], "languages": [], "min_relevance": None, **kw}}


@pytest.mark.parametrize("keyword", ["the", "and", "a", "of", "ai", "x", "said", "people", "just", "the-a", "The And"])
def test_stop_words_short_and_very_common_words_are_weak(keyword):
    assert POLICY.weak_keyword(keyword)


@pytest.mark.parametrize("keyword", ["pasta", "carbonara", "bitcoin", "football", "election", "new york", "git push"])
def test_words_that_say_what_an_article_is_about_are_not(keyword):
    assert not POLICY.weak_keyword(keyword)


def test_common_words_are_judged_in_the_campaigns_languages():
    assert POLICY.weak_keyword("gouvernement", ["fr"]) is False
    assert POLICY.weak_keyword("les", ["fr"]) is True
    assert POLICY.weak_keyword("die", ["de"]) is True


def test_the_threshold_is_the_operators():
    assert not RelevancePolicy(common_zipf=7.0).weak_keyword("people")
    assert RelevancePolicy(common_zipf=4.0).weak_keyword("football")


def test_only_new_keywords_are_checked():
    before = targeting(keywords=["the"], topics=["food"])
    assert POLICY.problems(before, targeting(keywords=["the", "pasta"], topics=["food"])) == {}
    assert "targeting.keywords" in POLICY.problems(before, targeting(keywords=["the", "and"], topics=["food"]))


def test_the_floor_counts_the_default_when_none_is_set():
    assert POLICY.problems(None, targeting(topics=["sport"])) == {}
    strict = RelevancePolicy(min_relevance=0.5)
    assert "targeting.min_relevance" in strict.problems(None, targeting(topics=["sport"]))
    assert strict.problems(None, targeting(topics=["sport"]), floor=0.3) == {}


def test_a_refused_floor_names_which_limit_applied():
    (everyone,) = POLICY.problems(None, targeting(topics=["sport"], min_relevance=0.1))["targeting.min_relevance"]
    (yours,) = POLICY.problems(None, targeting(topics=["sport"], min_relevance=0.1), floor=0.2)[
        "targeting.min_relevance"
    ]
    assert everyone.startswith("At least 0.4: the operator's floor for all")
    assert yours.startswith("At least 0.2: the floor the operator set for you")


def test_a_campaign_that_was_run_of_site_may_stay_so():
    assert "targeting" in POLICY.problems(None, targeting())
    assert POLICY.problems(targeting(), targeting()) == {}


def test_a_language_wordfreq_cannot_read_here_is_checked_on_the_english_list():
    """Japanese, Chinese and Korean need optional tokenizers: a campaign in one is checked, never a 500."""
    for lang in ("ja", "zh", "ko"):
        assert POLICY.weak_keyword("the", [lang]) and not POLICY.weak_keyword("sourdough", [lang])
