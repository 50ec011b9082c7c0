"""`adserver catalog import|validate|export`, in-process on the test database and Redis."""

from __future__ import annotations

import json

import pytest
import yaml

from adserver.catalog.files import export_catalog
from tests.builders import catalog_file
from tests.conftest import EXAMPLE_CATALOG

EXAMPLE = str(EXAMPLE_CATALOG)


@pytest.fixture
def bad_file(tmp_path):
    data = catalog_file()
    data["advertisers"][0]["campaigns"][0]["status"] = "running"
    data["advertisers"][0]["campaigns"][0]["creatives"][0]["cta"]["url"] = "javascript:alert(1)"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_catalog_import_prints_counts(cli):
    r = cli("catalog", "import", EXAMPLE)
    assert r.exit_code == 0
    assert "46 created, 0 updated, 0 unchanged (catalog version 1)" in r.stdout


def test_catalog_reimport_reports_everything_unchanged(cli):
    cli("catalog", "import", EXAMPLE)
    r = cli("catalog", "import", EXAMPLE)
    assert r.exit_code == 0
    assert "0 created, 0 updated, 46 unchanged" in r.stdout


def test_catalog_import_of_a_bad_file_lists_every_bad_path_and_exits_1(cli, bad_file):
    r = cli("catalog", "import", str(bad_file))
    assert r.exit_code == 1
    assert "advertisers.0.campaigns.0.status: Must be one of: active, paused, archived." in r.stderr
    assert "advertisers.0.campaigns.0.creatives.0.cta.url:" in r.stderr


def test_catalog_import_of_a_bad_file_imports_nothing(cli, db, bad_file):
    cli("catalog", "import", str(bad_file))
    assert export_catalog(db) == {"advertisers": []}


def test_catalog_import_of_a_missing_file_is_a_usage_error(cli, tmp_path):
    r = cli("catalog", "import", str(tmp_path / "nope.yaml"))
    assert r.exit_code == 2
    assert "does not exist" in r.stderr


def test_catalog_validate_accepts_the_example_without_importing(cli, db):
    r = cli("catalog", "validate", EXAMPLE)
    assert r.exit_code == 0
    assert "is valid: 14 advertisers, 16 campaigns" in r.stdout
    assert db.catalog_version() == 0


def test_catalog_validate_reports_bad_paths_and_exits_1(cli, bad_file):
    r = cli("catalog", "validate", str(bad_file))
    assert r.exit_code == 1
    assert "advertisers.0.campaigns.0.status" in r.stderr


def test_catalog_export_to_stdout_is_yaml_of_the_catalog(cli, db, imported):
    r = cli("catalog", "export")
    assert r.exit_code == 0
    assert yaml.safe_load(r.stdout) == export_catalog(db)


def test_catalog_export_to_a_json_file_imports_back_unchanged(cli, imported, tmp_path):
    out = tmp_path / "catalog.json"
    assert cli("catalog", "export", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["advertisers"][0]["id"] == "encore-live"
    r = cli("catalog", "import", str(out))
    assert "0 created, 0 updated, 46 unchanged" in r.stdout


def test_catalog_export_format_option_overrides_the_extension(cli, imported, tmp_path):
    out = tmp_path / "catalog.txt"
    cli("catalog", "export", "-o", str(out), "--format", "json")
    assert json.loads(out.read_text())["advertisers"]


def test_catalog_import_if_empty_imports_once_and_keeps_the_operators_changes(cli, db):
    """compose.yaml's migrate service runs it on every `up`: the first start has the demo catalog, a restart
    does not undo a paused campaign."""
    from adserver.catalog.files import set_status
    from adserver.catalog.store import load_snapshot

    first = cli("catalog", "import", "--if-empty", str(EXAMPLE_CATALOG))
    assert first.exit_code == 0 and first.output.startswith("imported catalog.example.yaml: 46 created")
    set_status(db, "zahid-ai-side-projects", "paused")
    again = cli("catalog", "import", "--if-empty", str(EXAMPLE_CATALOG))
    assert again.exit_code == 0
    assert again.output.startswith("14 advertisers kept as they are (catalog.example.yaml is imported only into")
    assert {c.id: c.status for c in load_snapshot(db).campaigns}["zahid-ai-side-projects"] == "paused"
