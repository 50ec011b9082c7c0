"""Training: one label per topic, whoever names it (catalog, corpus or the shipped base text)."""

from __future__ import annotations

from adserver.model.evaluate import eval_catalog
from adserver.model.features import Doc
from adserver.model.train import fit, merged_base


def test_base_text_of_a_topic_named_twice_trains_under_the_catalogs_label():
    labels = fit(eval_catalog().campaigns).model.labels
    assert {"tech", "sport", "business"} <= set(labels)
    assert not {"technology-computing", "sports", "business-and-finance"} & set(labels)
    assert "science" in labels  # a topic no campaign names keeps its own label


def test_base_label_matching_two_own_labels_is_left_alone():
    docs = [Doc("football tennis", "sports")]
    assert merged_base(docs, {"sport", "sports-betting"})[0].label == "sports"
    assert merged_base(docs, {"sport"})[0].label == "sport"
