"""Advertiser API tokens: hashed at rest, revocable."""

from __future__ import annotations

from sqlalchemy import select, text

from adserver import storage, tokens


def test_token_authenticates_its_advertiser(db, example_catalog):
    t = tokens.create(db, "zahid-host")
    assert tokens.authenticate(db, t) == tokens.TokenOwner("zahid-host")


def test_only_the_hash_is_stored(db, example_catalog):
    t = tokens.create(db, "zahid-host")
    with db.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM api_tokens"))]
    assert rows and all(t not in str(col) for row in rows for col in row)


def test_revoked_token_is_refused(db, example_catalog):
    t = tokens.create(db, "zahid-host")
    assert tokens.revoke(db, "zahid-host", t[:10]) == 1
    assert tokens.authenticate(db, t) is None


def test_unknown_and_malformed_tokens_are_refused(db, example_catalog):
    assert tokens.authenticate(db, "ads_" + "x" * 43) is None
    assert tokens.authenticate(db, "") is None
    assert tokens.authenticate(db, "Bearer something") is None


def test_operator_token_has_no_advertiser(db):
    t = tokens.create(db, None, "ops")
    owner = tokens.authenticate(db, t)
    assert owner.is_operator and owner.advertiser_id is None


def test_revoking_one_advertiser_leaves_others(db, example_catalog):
    a = tokens.create(db, "zahid-host")
    b = tokens.create(db, "ledgerly")
    tokens.revoke(db, "zahid-host")
    assert tokens.authenticate(db, a) is None
    assert tokens.authenticate(db, b) is not None
    with db.sessionmaker() as s:
        assert s.scalar(select(storage.ApiToken).where(storage.ApiToken.advertiser_id == "ledgerly")).revoked_at is None
