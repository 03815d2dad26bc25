"""``retention compute`` and ``retention invitations`` against a fresh database (real commits)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.dataset.service import import_dataset
from app.db import get_engine, session_scope
from app.migrations import upgrade_to_head
from app.settings import get_settings
from tests.app.invitation.dataset import DEALER, VINS, nightly_dataset
from tests.conftest import drop_database, fresh_database_url


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = fresh_database_url(backend, str(tmp_path))
    monkeypatch.setenv("RETENTION_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade_to_head(url)
    with session_scope() as session:
        import_dataset(session, nightly_dataset())
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    drop_database(url)


@pytest.mark.usefixtures("database")
class TestCommands:
    def test_compute_prints_a_summary_and_a_rerun_writes_nothing(self) -> None:
        runner = CliRunner()

        first = runner.invoke(cli, ["compute", "--as-of", "2026-11-20", "--dealer", DEALER])
        second = runner.invoke(cli, ["compute", "--as-of", "2026-11-20"])

        assert first.exit_code == 0, first.output
        summary = json.loads(first.stdout)
        assert summary[0]["dealer"] == DEALER
        assert summary[0]["vehicles"] == len(VINS)
        assert summary[0]["tasks_inserted"] == 3
        assert second.exit_code == 0, second.output
        assert all(s["rows_written"] == 0 for s in json.loads(second.stdout))
        assert "0 row(s) written" in second.stderr

    def test_invitations_prints_json_with_the_contract_fields(self) -> None:
        runner = CliRunner()
        runner.invoke(cli, ["compute", "--as-of", "2026-11-20"])

        result = runner.invoke(cli, ["invitations", "--as-of", "2026-11-20", "--format", "json"])

        assert result.exit_code == 0, result.output
        items = json.loads(result.stdout)
        contract = {
            "vin",
            "customer",
            "dealer",
            "type",
            "due_date",
            "status",
            "suppression_reason",
            "dedup_key",
            "priority",
            "explanation",
        }
        assert items
        assert all(contract <= set(i) for i in items)
        dnc = next(i for i in items if i["vin"] == VINS["dnc"] and i["type"] == "recall")
        assert (dnc["status"], dnc["suppression_reason"]) == ("suppressed", "do_not_call")
        assert {i["dealer"] for i in items} == {DEALER}

    def test_invitations_prints_csv(self) -> None:
        runner = CliRunner()
        runner.invoke(cli, ["compute", "--as-of", "2026-11-20"])

        result = runner.invoke(
            cli, ["invitations", "--as-of", "2026-11-20", "--dealer", DEALER, "--format", "csv"]
        )

        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        as_json = json.loads(runner.invoke(cli, ["invitations", "--as-of", "2026-11-20"]).stdout)
        assert len(rows) == len(as_json)
        assert {r["dedup_key"] for r in rows} == {i["dedup_key"] for i in as_json}
        assert rows[0]["window_opens"]

    def test_an_unknown_dealer_exits_with_status_1(self) -> None:
        result = CliRunner().invoke(cli, ["compute", "--as-of", "2026-11-20", "--dealer", "XX"])

        assert result.exit_code == 1
        assert "unknown dealer" in result.stderr
