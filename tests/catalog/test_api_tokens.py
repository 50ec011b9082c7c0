"""API tokens: shown once, stored as a hash, owned by one advertiser or the operator, revocable."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from adserver.catalog import api_tokens, sites
from adserver.catalog.files import import_catalog
from adserver.errors import AdserverError, NotFound
from adserver.infra import storage
from tests.builders import catalog_file


@pytest.fixture
def acme(db):
    """The one-advertiser catalog: advertiser id 'acme'."""
    import_catalog(db, catalog_file())
    return "acme"


def test_token_has_the_ads_prefix_and_enough_randomness(db, acme):
    token = api_tokens.create(db, acme)
    assert token.startswith("ads_")
    assert len(token) >= 40


def test_tokens_are_unique(db, acme):
    assert api_tokens.create(db, acme) != api_tokens.create(db, acme)


def test_advertiser_token_authenticates_as_that_advertiser(db, acme):
    owner = api_tokens.authenticate(db, api_tokens.create(db, acme, "reports"))
    assert owner == api_tokens.TokenOwner("acme")
    assert owner.is_operator is False


def test_operator_token_authenticates_as_operator(db):
    owner = api_tokens.authenticate(db, api_tokens.create(db, None))
    assert owner.advertiser_id is None
    assert owner.is_operator is True


def test_plaintext_is_not_stored_only_its_sha256(db, acme):
    token = api_tokens.create(db, acme, "reports")
    with db.engine.connect() as conn:
        rows = conn.execute(select(storage.ApiToken.__table__)).all()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_listing_shows_the_prefix_not_the_token(db, acme):
    token = api_tokens.create(db, acme, "reports")
    [info] = api_tokens.list_tokens(db, acme)
    assert token.startswith(info.prefix)
    assert len(info.prefix) < 16
    assert info.label == "reports"


def test_revoked_token_is_refused(db, acme):
    token = api_tokens.create(db, acme)
    assert api_tokens.revoke(db, acme) == 1
    assert api_tokens.authenticate(db, token) is None


def test_revoking_by_prefix_keeps_the_other_tokens(db, acme):
    kept, revoked = api_tokens.create(db, acme), api_tokens.create(db, acme)
    api_tokens.revoke(db, acme, revoked[: api_tokens.PREFIX_LENGTH])
    assert api_tokens.authenticate(db, revoked) is None
    assert api_tokens.authenticate(db, kept).advertiser_id == "acme"


def test_revoking_an_advertisers_tokens_leaves_operator_tokens(db, acme):
    operator = api_tokens.create(db, None)
    api_tokens.revoke(db, acme)
    assert api_tokens.authenticate(db, operator).is_operator


def test_revoking_all_of_one_advertiser_leaves_other_advertisers(db, acme):
    rival = _rival(db)
    mine, theirs = api_tokens.create(db, acme), api_tokens.create(db, rival)
    api_tokens.revoke(db, acme)
    assert api_tokens.authenticate(db, mine) is None
    assert api_tokens.authenticate(db, theirs) == api_tokens.TokenOwner("rival")


def test_revoking_by_the_full_token_works(db, acme):
    token = api_tokens.create(db, acme)
    assert api_tokens.revoke(db, acme, token) == 1


def test_revoking_with_a_too_short_prefix_is_refused(db, acme):
    token = api_tokens.create(db, acme)
    with pytest.raises(AdserverError, match="too short"):
        api_tokens.revoke(db, acme, "ads_")
    assert api_tokens.authenticate(db, token) is not None


def test_revoking_with_an_ambiguous_prefix_revokes_nothing(db, acme):
    first, second = api_tokens.create(db, acme), api_tokens.create(db, acme)
    with db.session() as s:  # force a prefix collision, as a short prefix could produce
        for row in s.scalars(select(storage.ApiToken)):
            row.prefix = "ads_same0000"
    with pytest.raises(AdserverError, match="matches 2 tokens"):
        api_tokens.revoke(db, acme, "ads_same")
    assert api_tokens.authenticate(db, first) and api_tokens.authenticate(db, second)


def test_revoking_an_unknown_prefix_is_not_found(db, acme):
    api_tokens.create(db, acme)
    with pytest.raises(NotFound):
        api_tokens.revoke(db, acme, "ads_nothere")


def _rival(db) -> str:
    data = catalog_file()
    data["advertisers"][0]["id"] = "rival"
    data["advertisers"][0]["campaigns"] = []
    import_catalog(db, data)
    return "rival"


def test_revoking_another_advertisers_prefix_is_not_found(db, acme):
    token = api_tokens.create(db, _rival(db))
    with pytest.raises(NotFound):
        api_tokens.revoke(db, acme, token[: api_tokens.PREFIX_LENGTH])
    assert api_tokens.authenticate(db, token).advertiser_id == "rival"


def test_token_for_unknown_advertiser_is_not_found(db):
    with pytest.raises(NotFound):
        api_tokens.create(db, "nobody")


@pytest.mark.parametrize("bad", ["", "ads_", "not-a-token", "Bearer something", "ads_" + "x" * 43])
def test_unknown_or_malformed_token_is_refused(db, acme, bad):
    api_tokens.create(db, acme)
    assert api_tokens.authenticate(db, bad) is None


def test_token_with_one_character_changed_is_refused(db, acme):
    token = api_tokens.create(db, acme)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert api_tokens.authenticate(db, tampered) is None


# --- publishers' tokens: one site each ------------------------------------------------------------------------


@pytest.fixture
def north(db, acme):
    sites.save(db, {"id": "north", "name": "North", "domains": ["north.example"]}, create=True)
    return "north"


def test_a_sites_token_authenticates_as_its_publisher_never_as_an_operator(db, north):
    owner = api_tokens.authenticate(db, api_tokens.create(db, None, site_id=north))
    assert owner == api_tokens.TokenOwner(None, "north")
    assert (owner.is_publisher, owner.is_operator, owner.kind) == (True, False, "publisher")


def test_a_token_for_an_unknown_site_is_not_found(db, acme):
    with pytest.raises(NotFound, match="no site 'nowhere'"):
        api_tokens.create(db, None, site_id="nowhere")


def test_an_archived_site_gets_no_token(db, north):
    sites.archive(db, north)
    with pytest.raises(AdserverError, match="archived"):
        api_tokens.create(db, None, site_id=north)


def test_a_token_has_one_owner_even_written_past_the_code(db, north, acme):
    with pytest.raises(AdserverError, match="not both"):
        api_tokens.create(db, acme, site_id=north)
    with pytest.raises(IntegrityError), db.session() as s:  # the table's own check
        s.add(storage.ApiToken(advertiser_id=acme, site_id=north, token_hash="0" * 64, prefix="ads_x", label=""))


def test_operator_tokens_and_a_sites_tokens_are_listed_and_revoked_apart(db, north):
    operator, publisher = api_tokens.create(db, None), api_tokens.create(db, None, site_id=north, label="north")
    assert [(t.site_id, t.label) for t in api_tokens.list_tokens(db, site_id=north)] == [("north", "north")]
    assert [t.site_id for t in api_tokens.list_tokens(db, operator=True)] == [None]
    assert api_tokens.revoke(db, None) == 1  # the operator's only
    assert api_tokens.authenticate(db, publisher).is_publisher
    assert api_tokens.revoke(db, None, publisher[: api_tokens.PREFIX_LENGTH], site_id=north) == 1
    assert api_tokens.authenticate(db, publisher) is None and api_tokens.authenticate(db, operator) is None
