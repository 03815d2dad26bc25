"""``/api/v1/reports/…``: the service funnel, agent KPIs, retention and recall completion (JSON).

Managers, supervisors and administrators; every figure is limited to the caller's dealers.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from app.deps import SessionDep
from app.enums import InvitationType, Role, ValueSegment
from app.reporting import export
from app.reporting import service as reporting_service
from app.reporting.service import Report
from app.security.access import allow
from app.security.principal import Principal
from reports import Grain

router = APIRouter(prefix="/reports", tags=["reports"])

Reader = Annotated[Principal, Depends(allow(roles={Role.MANAGER, Role.SUPERVISOR, Role.ADMIN}))]
From = Annotated[date, Query(alias="from", description="first local date (included)")]
To = Annotated[date, Query(alias="to", description="last local date (excluded)")]
DealerCode = Annotated[str | None, Query(min_length=1, max_length=32, description="dealer code")]
Dimension = Literal["dealer", "group", "type", "segment"]
ExportFormat = Annotated[Literal["csv", "xlsx"], Query(alias="format", description="csv or xlsx")]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/funnel", response_model=dict[str, Any])
def read_funnel(
    caller: Reader,
    session: SessionDep,
    start: From,
    end: To,
    grain: Grain = Grain.MONTH,
    dimension: Dimension | None = None,
    dealer: DealerCode = None,
    type: InvitationType | None = None,
    segment: ValueSegment | None = None,
) -> dict[str, Any]:
    """The funnel of the invitations due in ``[from, to)`` per period (and dimension value), its
    total, the comparison with the previous period and the uplift per invitation type."""
    return reporting_service.funnel_report(
        session,
        start=start,
        end=end,
        grain=grain,
        dimension=dimension,
        dealer=dealer,
        type=None if type is None else type.value,
        segment=None if segment is None else segment.value,
        dealer_ids=caller.dealer_ids,
    ).data


@router.get("/agents", response_model=dict[str, Any])
def read_agents(
    caller: Reader,
    session: SessionDep,
    start: From,
    end: To,
    grain: Grain = Grain.MONTH,
    dealer: DealerCode = None,
) -> dict[str, Any]:
    """Agent KPIs per period and agent, per agent and for the team."""
    return reporting_service.agents_report(
        session, start=start, end=end, grain=grain, dealer=dealer, dealer_ids=caller.dealer_ids
    ).data


@router.get("/retention", response_model=dict[str, Any])
def read_retention(
    caller: Reader, session: SessionDep, start: From, end: To, dealer: DealerCode = None
) -> dict[str, Any]:
    """Orphan share, 12/24-month retention and reactivation per dealer."""
    return reporting_service.retention_report(
        session, start=start, end=end, dealer=dealer, dealer_ids=caller.dealer_ids
    ).data


@router.get("/recalls", response_model=dict[str, Any])
def read_recalls(caller: Reader, session: SessionDep, dealer: DealerCode = None) -> dict[str, Any]:
    """Recall completion per dealer and campaign."""
    return reporting_service.recalls_report(
        session, dealer=dealer, dealer_ids=caller.dealer_ids
    ).data


# Downloads: the same reports as CSV (the first table, streamed) or XLSX (every table) ------------


def _download(
    session: SessionDep, caller: Principal, name: str, report: Report, fmt: str, stem: str
) -> Response:
    reporting_service.record_export(session, name=name, fmt=fmt, report=report, actor=caller.actor)
    disposition = f'attachment; filename="{stem}.{fmt}"'
    if fmt == "csv":
        table = report.tables[0]
        return StreamingResponse(
            export.csv_lines(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )
    buffer = io.BytesIO()
    export.write_xlsx(report, buffer)
    return Response(
        buffer.getvalue(), media_type=XLSX_TYPE, headers={"Content-Disposition": disposition}
    )


@router.get("/funnel/export", response_class=Response)
def read_funnel_export(
    caller: Reader,
    session: SessionDep,
    start: From,
    end: To,
    fmt: ExportFormat = "csv",
    grain: Grain = Grain.MONTH,
    dimension: Dimension | None = None,
    dealer: DealerCode = None,
    type: InvitationType | None = None,
    segment: ValueSegment | None = None,
) -> Response:
    """The funnel report as a download: CSV (the funnel per period) or XLSX (funnel,
    suppressed, uplift and comparison sheets). Audited as an export."""
    report = reporting_service.funnel_report(
        session,
        start=start,
        end=end,
        grain=grain,
        dimension=dimension,
        dealer=dealer,
        type=None if type is None else type.value,
        segment=None if segment is None else segment.value,
        dealer_ids=caller.dealer_ids,
    )
    stem = f"funnel-{start.isoformat()}-{end.isoformat()}"
    return _download(session, caller, "funnel", report, fmt, stem)


@router.get("/agents/export", response_class=Response)
def read_agents_export(
    caller: Reader,
    session: SessionDep,
    start: From,
    end: To,
    fmt: ExportFormat = "csv",
    grain: Grain = Grain.MONTH,
    dealer: DealerCode = None,
) -> Response:
    """Agent KPIs as a download: CSV (per agent) or XLSX (per agent and per period)."""
    report = reporting_service.agents_report(
        session, start=start, end=end, grain=grain, dealer=dealer, dealer_ids=caller.dealer_ids
    )
    stem = f"agents-{start.isoformat()}-{end.isoformat()}"
    return _download(session, caller, "agents", report, fmt, stem)


@router.get("/retention/export", response_class=Response)
def read_retention_export(
    caller: Reader,
    session: SessionDep,
    start: From,
    end: To,
    fmt: ExportFormat = "csv",
    dealer: DealerCode = None,
) -> Response:
    """Retention per dealer as a download (CSV or XLSX)."""
    report = reporting_service.retention_report(
        session, start=start, end=end, dealer=dealer, dealer_ids=caller.dealer_ids
    )
    stem = f"retention-{start.isoformat()}-{end.isoformat()}"
    return _download(session, caller, "retention", report, fmt, stem)


@router.get("/recalls/export", response_class=Response)
def read_recalls_export(
    caller: Reader, session: SessionDep, fmt: ExportFormat = "csv", dealer: DealerCode = None
) -> Response:
    """Recall completion per dealer and campaign as a download (CSV or XLSX)."""
    report = reporting_service.recalls_report(session, dealer=dealer, dealer_ids=caller.dealer_ids)
    return _download(session, caller, "recalls", report, fmt, "recalls")
