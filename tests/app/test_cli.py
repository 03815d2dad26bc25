"""The ``retention`` command line against a real database (commits are real here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import get_engine
from app.models import Vehicle
from app.settings import get_settings
from tests.app.dataset.test_import import example
from tests.conftest import drop_database, fresh_database_url


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = fresh_database_url(backend, str(tmp_path))
    monkeypatch.setenv("RETENTION_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    drop_database(url)


def vehicles() -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Vehicle)).scalar_one())


def test_migrate_then_import_twice_writes_nothing_the_second_time(
    database: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    document = tmp_path / "dataset.json"
    document.write_text(json.dumps(example()), encoding="utf-8")

    migrated = runner.invoke(cli, ["migrate"])
    first = runner.invoke(cli, ["import", str(document)])
    second = runner.invoke(cli, ["import", str(document)])

    assert migrated.exit_code == 0, migrated.output
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["sections"]["vehicles"]["inserted"] == 1
    assert second.exit_code == 0
    assert "0 row(s) written" in second.stderr
    assert vehicles() == 1


def test_a_rejected_document_exits_with_status_2_listing_each_error(
    database: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    doc = example()
    doc["vehicles"][0]["vin"] = "TMBJJ7NE8L01234"
    doc["ownerships"][0]["start_date"] = "yesterday"
    document = tmp_path / "bad.json"
    document.write_text(json.dumps(doc), encoding="utf-8")
    runner.invoke(cli, ["migrate"])

    result = runner.invoke(cli, ["import", str(document)])

    assert result.exit_code == 2
    assert "vehicles[0].vin" in result.stderr
    assert "ownerships[0].start_date" in result.stderr
    assert vehicles() == 0


def test_a_file_that_is_not_json_exits_with_status_2(database: str, tmp_path: Path) -> None:
    document = tmp_path / "broken.json"
    document.write_text("{", encoding="utf-8")

    result = CliRunner().invoke(cli, ["import", str(document)])

    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr
