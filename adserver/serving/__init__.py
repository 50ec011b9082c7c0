"""The decision core, pure and without I/O: an article context and a catalog snapshot in, a decision out.

`decision.decide` is the one entry; eligibility and relevance (`targeting`, `ranking`), the per-article
plan (`plans`), the budget seam (`budget`), brand safety, the taxonomy and the card (`rendering`) serve it.
"""
