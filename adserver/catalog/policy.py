"""The operator's relevance policy: how widely an advertiser may target its own campaigns (self-service).

The card must match its article, so what an advertiser sets itself may not reach every article: a keyword
must carry meaning (not a stop word, not one or two letters, not a word so common in ordinary text that it
is in nearly every article), at most `max_keywords` of them, no confidence floor under the operator's, and
neither topics nor keywords (run of site) is the operator's alone. The catalog file and the CLI are the
operator's and are not held to it. Only changes are checked: what the operator set stays allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..serving.matching import MIN_RELEVANCE
from ..serving.text import normalize_term, term_words
from ..settings import Settings


@cache
def _wordfreq():
    """wordfreq (its import takes ~170 ms, its lists more): loaded by the first self-service change checked,
    not by every web process at start."""
    import wordfreq

    return wordfreq, frozenset(lang for lang in wordfreq.available_languages() if _reads(wordfreq, lang))


def _reads(wordfreq, lang: str) -> bool:
    """Whether wordfreq can look words up in `lang` here: Chinese, Japanese and Korean need tokenizers that are
    optional extras (jieba, MeCab); without them a campaign in that language is checked on the English list."""
    try:
        wordfreq.zipf_frequency("test", lang)
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class RelevancePolicy:
    min_relevance: float = MIN_RELEVANCE  # the lowest `targeting.min_relevance` an advertiser may set
    max_keywords: int = 50  # per campaign, as the decision API takes at most 50
    # A word used more often than this in ordinary text (wordfreq's Zipf scale: 6 is once per thousand words,
    # "the" is 7.7, "people" 6.3, "football" 5.1) is in too many articles to say what one is about.
    common_zipf: float = 5.8

    @classmethod
    def from_settings(cls, settings: Settings) -> RelevancePolicy:
        return cls(min_relevance=settings.self_service_min_relevance, common_zipf=settings.common_word_zipf)

    def problems(self, before: dict | None, after: dict, floor: float | None = None) -> dict[str, list[str]]:
        """What the change from `before` (None: a new campaign) to `after` breaks, by field; `floor` is the
        advertiser's own lowest min_relevance where the operator set one (else the policy's)."""
        whose = "the floor the operator set for you" if floor is not None else "the operator's floor for all"
        floor = self.min_relevance if floor is None else floor
        t, was = after["targeting"], before["targeting"] if before else None
        errors: dict[str, list[str]] = {}
        if not t["topics"] and not t["keywords"] and (was is None or was["topics"] or was["keywords"]):
            errors["targeting"] = ["Name topics or keywords: a card on every article (run of site) is the operator's."]
        new = [k for k in t["keywords"] if was is None or k not in was["keywords"]]
        if new and len(t["keywords"]) > self.max_keywords:
            errors["targeting.keywords"] = [f"At most {self.max_keywords} keywords."]
        elif weak := [k for k in new if self.weak_keyword(k, t["languages"])]:
            errors["targeting.keywords"] = [
                f"Too common to say what an article is about: {', '.join(weak)}. Use words a reader of your "
                "articles would find only there (or topics)."
            ]
        chosen = MIN_RELEVANCE if t["min_relevance"] is None else t["min_relevance"]
        changed = was is None or t["min_relevance"] != was["min_relevance"]
        if changed and chosen < floor:
            errors["targeting.min_relevance"] = [f"At least {floor:g}: {whose} (`GET /v1/limits`)."]
        return errors

    def weak_keyword(self, keyword: str, languages: Iterable[str] = ()) -> bool:
        """Whether no word of `keyword` carries meaning: a stop word, one or two letters, or too common."""
        wordfreq, known = _wordfreq()
        langs = [lang for lang in languages if lang in known] or ["en"]
        return all(
            len(w) <= 2
            or w in ENGLISH_STOP_WORDS
            or any(wordfreq.zipf_frequency(w, lang) > self.common_zipf for lang in langs)
            for w in term_words(normalize_term(keyword))
        )


DEFAULT_POLICY = RelevancePolicy()
