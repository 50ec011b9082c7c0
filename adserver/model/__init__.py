"""The relevance model: a small scikit-learn ranker that reads the article, learns from clicks and explains itself.

Modules: `features` (text of articles and campaigns, base vocabulary), `relevance` (the fitted model),
`train`, `artifacts` (versioned folders under `models/`, checksums, activation, hot swap), `ranker`
(the `Ranker` the decision core calls), `feedback` (CTR with Thompson sampling), `evaluate`, and `embedding`
(the optional dense-embedding opinion, `adserver[embedding]`).
"""
