"""``retention report …`` on a real, committed database (both back ends)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import cli
from app.db import get_engine
from app.migrations import upgrade_to_head
from app.reporting.models import ReportFunnelCustomerDay, ReportFunnelDay
from app.settings import get_settings
from tests.app.reporting.factories import KnownDataset, build_known_dataset
from tests.conftest import drop_database, fresh_database_url

Q1 = ["--from", "2026-01-01", "--to", "2026-04-01"]


@pytest.fixture
def known(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KnownDataset]:
    url = fresh_database_url(backend, str(tmp_path))
    monkeypatch.setenv("RETENTION_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade_to_head(url)
    with Session(get_engine(), expire_on_commit=False) as session:
        dataset = build_known_dataset(session)
        session.commit()
    yield dataset
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    drop_database(url)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_funnel_as_json_matches_the_worked_figures(known: KnownDataset) -> None:
    body = json.loads(run("funnel", *Q1, "--dealer", known.dealer.code, "--format", "json"))
    assert body["total"]["invitations"]["due"] == 11
    assert body["total"]["invitations"]["arrived"] == 4
    assert body["total"]["invitations"]["revenue"]["total"] == "460.00"


def test_funnel_as_csv_has_one_row_per_month(known: KnownDataset) -> None:
    text = run("funnel", *Q1, "--dealer", known.dealer.code, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["period"] for r in rows] == ["2026-01", "2026-02", "2026-03"]
    assert [int(r["due"]) for r in rows] == [3, 3, 5]
    assert [r["revenue_total"] for r in rows] == ["380.00", "0.00", "80.00"]


def test_funnel_as_xlsx_has_typed_sheets_and_a_chart(known: KnownDataset, tmp_path: Path) -> None:
    path = tmp_path / "funnel.xlsx"
    run("funnel", *Q1, "--dealer", known.dealer.code, "--format", "xlsx", "--output", str(path))
    book = load_workbook(path)
    assert book.sheetnames == ["Funnel", "Suppressed", "Uplift", "Comparison"]
    sheet = book["Funnel"]
    header = [c.value for c in sheet[1]]
    due = sheet.cell(row=2, column=header.index("due") + 1)
    assert (due.value, due.data_type) == (3, "n")
    reach = sheet.cell(row=4, column=header.index("reach_rate") + 1)  # March: 2 of 2
    assert (reach.value, reach.number_format) == (1.0, "0.0%")
    assert len(sheet._charts) == 1


def test_agents_and_retention_export(known: KnownDataset) -> None:
    agents = json.loads(run("agents", *Q1, "--format", "json"))
    assert agents["team"]["attempts"] == 6
    text = run("retention", "--from", "2024-01-01", "--to", "2024-04-01", "--format", "csv")
    rows = {r["dealer"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[known.dealer.code]["orphan_share"] == "0.375"


def test_a_bad_date_names_the_option(known: KnownDataset) -> None:
    result = CliRunner().invoke(cli, ["report", "funnel", "--from", "2026-02-30", "--to", "x"])
    assert result.exit_code == 2
    assert "--from" in result.output


def test_rebuild_fills_the_aggregates_again(known: KnownDataset) -> None:
    with Session(get_engine()) as session:
        session.execute(delete(ReportFunnelDay))
        session.execute(delete(ReportFunnelCustomerDay))
        session.commit()
    empty = json.loads(run("funnel", *Q1, "--dealer", known.dealer.code))
    assert empty["total"]["invitations"]["due"] == 0

    result = CliRunner().invoke(
        cli, ["report", "rebuild", "--dealer", known.dealer.code, "--from", "2026-01-01"]
    )
    assert result.exit_code == 0, result.output
    assert f"dealer {known.dealer.id}: due dates 2026-01-01 to" in result.stderr
    body = json.loads(run("funnel", *Q1, "--dealer", known.dealer.code))
    assert body["total"]["invitations"]["due"] == 11
    assert body["total"]["invitations"]["arrived"] == 4
    assert body["total"]["invitations"]["revenue"]["total"] == "460.00"
    assert body["previous"]["invitations"]["due"] == 0  # 2025-Q4 was not rebuilt
    # All dealers, whole history (2025-Q4 back too); the rebuild is audited.
    result = CliRunner().invoke(cli, ["report", "rebuild"])
    assert result.exit_code == 0, result.output
    full = json.loads(run("funnel", *Q1, "--dealer", known.dealer.code))
    assert full["total"] == body["total"]
    assert full["previous"]["invitations"]["due"] > 0
    with Session(get_engine()) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "report.rebuild"))
        assert len(events.all()) == 2


def test_rebuild_refuses_an_empty_range(known: KnownDataset) -> None:
    result = CliRunner().invoke(
        cli, ["report", "rebuild", "--from", "2026-02-01", "--to", "2026-01-01"]
    )
    assert result.exit_code == 2
    assert "--to" in result.output
