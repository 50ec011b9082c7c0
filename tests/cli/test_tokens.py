"""`adserver tokens create|list|revoke`, in-process on the test database and Redis."""

from __future__ import annotations

from adserver.catalog import api_tokens


def test_tokens_create_prints_only_the_token_on_stdout(cli, db, imported):
    r = cli("tokens", "create", "zahid-host", "--label", "reports")
    assert r.exit_code == 0
    token = r.stdout.strip()
    assert api_tokens.authenticate(db, token).advertiser_id == "zahid-host"
    assert "cannot be shown again" in r.stderr


def test_tokens_create_operator(cli, db):
    token = cli("tokens", "create", "--operator").stdout.strip()
    assert api_tokens.authenticate(db, token).is_operator


def test_tokens_create_for_unknown_advertiser_exits_1(cli):
    r = cli("tokens", "create", "nobody")
    assert r.exit_code == 1
    assert "no advertiser 'nobody'" in r.stderr


def test_tokens_create_needs_an_owner(cli):
    assert cli("tokens", "create").exit_code == 2


def test_tokens_list_shows_prefixes_never_tokens(cli, imported):
    token = cli("tokens", "create", "zahid-host", "--label", "reports").stdout.strip()
    r = cli("tokens", "list", "zahid-host")
    assert r.exit_code == 0
    assert token[: api_tokens.PREFIX_LENGTH] + "…" in r.stdout
    assert token not in r.stdout
    assert "reports" in r.stdout


def test_tokens_revoke_by_prefix_refuses_the_token(cli, db, imported):
    token = cli("tokens", "create", "zahid-host").stdout.strip()
    r = cli("tokens", "revoke", "zahid-host", "--prefix", token[: api_tokens.PREFIX_LENGTH])
    assert (r.exit_code, r.stdout) == (0, "revoked 1 token\n")
    assert api_tokens.authenticate(db, token) is None


def test_tokens_revoke_all_revokes_every_token_of_the_advertiser(cli, db, imported):
    made = [cli("tokens", "create", "zahid-host").stdout.strip() for _ in range(2)]
    assert cli("tokens", "revoke", "zahid-host", "--all").stdout == "revoked 2 tokens\n"
    assert [api_tokens.authenticate(db, t) for t in made] == [None, None]


def test_tokens_revoke_needs_prefix_or_all(cli, imported):
    assert cli("tokens", "revoke", "zahid-host").exit_code == 2
    assert cli("tokens", "revoke", "zahid-host", "--all", "--prefix", "ads_x").exit_code == 2


def test_tokens_revoke_unknown_prefix_exits_1(cli, imported):
    r = cli("tokens", "revoke", "zahid-host", "--prefix", "ads_nothere")
    assert r.exit_code == 1
    assert "no live token" in r.stderr


def test_tokens_revoke_operator_tokens(cli, db):
    token = cli("tokens", "create", "--operator").stdout.strip()
    assert cli("tokens", "revoke", "--operator", "--all").stdout == "revoked 1 token\n"
    assert api_tokens.authenticate(db, token) is None


def test_tokens_for_a_site_are_created_listed_and_revoked(cli, db, imported):
    assert cli("sites", "add", "north", "--name", "North", "--domains", "north.example").exit_code == 0
    r = cli("tokens", "create", "--site", "north", "--label", "north's reports")
    assert r.exit_code == 0 and "token for site north created" in r.stderr
    token = r.stdout.strip()
    assert api_tokens.authenticate(db, token) == api_tokens.TokenOwner(None, "north")
    listed = cli("tokens", "list", "--site", "north").stdout
    assert token[: api_tokens.PREFIX_LENGTH] + "…" in listed and "site north" in listed and token not in listed
    assert cli("tokens", "list", "--operator").stdout == "no tokens\n"
    assert cli("tokens", "revoke", "--site", "north", "--all").stdout == "revoked 1 token\n"
    assert api_tokens.authenticate(db, token) is None


def test_tokens_create_for_an_unknown_or_archived_site_exits_1(cli, imported):
    r = cli("tokens", "create", "--site", "nowhere")
    assert r.exit_code == 1 and "no site 'nowhere'" in r.stderr
    cli("sites", "add", "north", "--name", "North", "--domains", "north.example")
    cli("sites", "archive", "north")
    r = cli("tokens", "create", "--site", "north")
    assert r.exit_code == 1 and "archived" in r.stderr


def test_tokens_create_takes_one_owner(cli, imported):
    assert cli("tokens", "create", "zahid-host", "--site", "north").exit_code == 2
    assert cli("tokens", "create", "--operator", "--site", "north").exit_code == 2
