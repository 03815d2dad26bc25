"""``/api/v1/reports/{funnel,agents}/export``: the reports as CSV and XLSX downloads."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.enums import Role
from tests.app.auth.factories import create_user, sign_in, use_session
from tests.app.conftest import app_on
from tests.app.reporting.factories import build_known_dataset

Q1 = "from=2026-01-01&to=2026-04-01"


def test_the_funnel_downloads_as_csv_and_xlsx_with_the_json_figures(session: Session) -> None:
    known = build_known_dataset(session)
    manager = create_user(session, role=Role.MANAGER, dealers=[known.dealer])
    with TestClient(app_on(session)) as client:
        use_session(client, sign_in(session, manager))
        body = client.get(f"/api/v1/reports/funnel?{Q1}").json()
        response = client.get(f"/api/v1/reports/funnel/export?{Q1}&format=csv")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert (
            'filename="funnel-2026-01-01-2026-04-01.csv"' in response.headers["content-disposition"]
        )
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["period"] for r in rows] == [p["period"] for p in body["periods"]]
        assert sum(int(r["due"]) for r in rows) == body["total"]["invitations"]["due"] == 11
        xlsx = client.get(f"/api/v1/reports/funnel/export?{Q1}&format=xlsx")
        assert xlsx.status_code == 200
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book.sheetnames == ["Funnel", "Suppressed", "Uplift", "Comparison"]
        agents = client.get(f"/api/v1/reports/agents/export?{Q1}&format=xlsx")
        assert load_workbook(io.BytesIO(agents.content)).sheetnames == ["Agents", "Periods"]
        retention = client.get(
            "/api/v1/reports/retention/export?from=2024-01-01&to=2024-04-01&format=csv"
        )
        assert next(csv.DictReader(io.StringIO(retention.text)))["cohort_customers"] == "4"
        recalls = client.get("/api/v1/reports/recalls/export?format=xlsx")
        assert load_workbook(io.BytesIO(recalls.content)).sheetnames == ["Recalls"]
        exports = session.execute(
            select(AuditEvent).where(AuditEvent.action == "report.export")  # type: ignore[arg-type]
        ).all()
        assert len(exports) == 5


def test_an_export_refuses_a_bad_format_and_another_dealer(session: Session) -> None:
    known = build_known_dataset(session)
    manager = create_user(session, role=Role.MANAGER, dealers=[known.dealer])
    with TestClient(app_on(session)) as client:
        use_session(client, sign_in(session, manager))
        bad = client.get(f"/api/v1/reports/funnel/export?{Q1}&format=pdf")
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "format"
        other = client.get(
            f"/api/v1/reports/funnel/export?{Q1}&dealer={known.other_dealer.code}&format=csv"
        )
        assert other.status_code == 404
