"""The process's Prometheus instruments (prometheus-client); `api/metrics.py` serves them at `/metrics`.

Under gunicorn each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR (set and emptied by
`config/gunicorn.conf.py` before any worker starts), and a scrape, whichever worker answers it, adds
them all up. Updating one is a few microseconds and never touches Redis or SQL.
"""

from __future__ import annotations

from functools import cache

from prometheus_client import Counter, Histogram

DECISIONS = Counter(
    "adserver_decisions",
    "Decisions answered, by outcome: served (a paid card), house, no_fill (204), error (an exception)",
    ["outcome"],
)
DECISION_SECONDS = Histogram(
    "adserver_decision_seconds",
    "Time to choose and serialise a card (run_decision), no-fills and errors included",
    buckets=(0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.0),
)
SERVED_SCORE = Histogram(
    "adserver_served_score",
    "Relevance of each served card: the winning campaign's ranking score for the article",
    buckets=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.5, 2.0, 3.0),
)
SERVED_MATCH = Histogram(
    "adserver_served_match",
    "How sure the match of each served card is (the topic reader's confidence that the article is about what "
    "the campaign targets; 1 for the publisher's own topic or a keyword), by how it matched",
    ["how"],
    buckets=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
)
EVENTS = Counter(
    "adserver_events",
    "Events this process handed on, by type and result: emitted (queued in Redis), spooled (Redis "
    "unreachable: kept on local disk), duplicate, rate_limited",
    ["type", "result"],
)
BUDGET_REFUSALS = Counter(
    "adserver_budget_refusals",
    "Contenders the budget gate skipped, by reason: budget (total or daily spent), pacing, frequency_cap",
    ["reason"],
)


def refusal_reason(why: str) -> str:
    """A bounded label for one of the budget gate's reasons (`lua.CHOOSE`), '' for other rejections."""
    if why.endswith("budget spent") or why == "budget exhausted":
        return "budget"
    if why.startswith("pacing"):
        return "pacing"
    if why.startswith("frequency cap"):
        return "frequency_cap"
    return ""


@cache
def labelled(metric, *values: str):
    """`metric.labels(*values)`, looked up once per process: `labels` checks its arguments and takes a lock on
    every call, a few microseconds on each decision. Created on first use, as `labels` does (a series appears
    on /metrics once it has been counted)."""
    return metric.labels(*values)


def observe_decision(outcome, seconds: float) -> None:
    """Count one answered decision (`decision.Outcome`) and its refusals."""
    d = outcome.decision
    if d is None:
        labelled(DECISIONS, "no_fill").inc()
    else:
        labelled(DECISIONS, "house" if d.campaign.house else "served").inc()
        SERVED_SCORE.observe(d.score)
        if d.match is not None:
            labelled(SERVED_MATCH, d.match.how).observe(d.match.confidence)
    DECISION_SECONDS.observe(seconds)
    for r in outcome.rejected:
        if reason := refusal_reason(r.reason):
            labelled(BUDGET_REFUSALS, reason).inc()


def observe_failed_decision(seconds: float) -> None:
    DECISIONS.labels("error").inc()
    DECISION_SECONDS.observe(seconds)
