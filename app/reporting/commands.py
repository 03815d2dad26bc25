"""``retention report funnel|agents|retention|recalls``: the reports as JSON, CSV or XLSX."""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from app.audit import Actor, ActorType
from app.db import get_engine, session_scope
from app.errors import AppError
from app.reporting import export
from app.reporting import service as reporting_service
from app.reporting.service import Report
from reports import Grain

report_cli = typer.Typer(
    help="Service-funnel and KPI reports (JSON, CSV or XLSX).", no_args_is_help=True
)
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from exc


From = Annotated[str, typer.Option("--from", help="First local date YYYY-MM-DD (included)")]
To = Annotated[str, typer.Option("--to", help="Last local date YYYY-MM-DD (excluded)")]
DealerOpt = Annotated[str | None, typer.Option("--dealer", help="Dealer code (default: all)")]
FormatOpt = Annotated[Format, typer.Option("--format", help="json, csv or xlsx")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write (required for xlsx)")
]
GrainOpt = Annotated[Grain, typer.Option("--grain", help="day, week, month or quarter")]


def _emit(name: str, report: Report, fmt: Format, output: Path | None) -> None:
    if fmt is Format.XLSX:
        if output is None:
            raise typer.BadParameter("an XLSX export needs a file", param_hint="--output")
        export.write_xlsx(report, output)
    elif fmt is Format.CSV:
        stream = sys.stdout if output is None else output.open("w", encoding="utf-8", newline="")
        try:
            export.write_csv(report.tables[0], stream)
        finally:
            if output is not None:
                stream.close()
    else:
        text = json.dumps(report.data, indent=2, ensure_ascii=False)
        if output is None:
            sys.stdout.write(text + "\n")
        else:
            output.write_text(text + "\n", encoding="utf-8")
    with session_scope() as session:
        reporting_service.record_export(
            session, name=name, fmt=fmt.value, report=report, actor=Actor(type=ActorType.SYSTEM)
        )
    if output is not None:
        err.print(f"Wrote {output}")


@report_cli.command("funnel")
def funnel(
    start: From,
    end: To,
    dealer: DealerOpt = None,
    grain: GrainOpt = Grain.MONTH,
    dimension: Annotated[
        str | None, typer.Option(help="Split by dealer, group, type or segment")
    ] = None,
    fmt: FormatOpt = Format.JSON,
    output: OutputOpt = None,
) -> None:
    """The service funnel of the invitations due in [--from, --to)."""
    with session_scope() as session:
        try:
            report = reporting_service.funnel_report(
                session,
                start=_date(start, "--from"),
                end=_date(end, "--to"),
                grain=grain,
                dimension=dimension,
                dealer=dealer,
                dealer_ids=None,
            )
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
    _emit("funnel", report, fmt, output)


@report_cli.command("agents")
def agents(
    start: From,
    end: To,
    dealer: DealerOpt = None,
    grain: GrainOpt = Grain.MONTH,
    fmt: FormatOpt = Format.JSON,
    output: OutputOpt = None,
) -> None:
    """Agent KPIs for [--from, --to)."""
    with session_scope() as session:
        try:
            report = reporting_service.agents_report(
                session,
                start=_date(start, "--from"),
                end=_date(end, "--to"),
                grain=grain,
                dealer=dealer,
                dealer_ids=None,
            )
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
    _emit("agents", report, fmt, output)


@report_cli.command("retention")
def retention(
    start: From,
    end: To,
    dealer: DealerOpt = None,
    fmt: FormatOpt = Format.JSON,
    output: OutputOpt = None,
) -> None:
    """Orphan share, 12/24-month retention of the customers served in [--from, --to) and the
    reactivation of those lapsed at --from."""
    with session_scope() as session:
        try:
            report = reporting_service.retention_report(
                session,
                start=_date(start, "--from"),
                end=_date(end, "--to"),
                dealer=dealer,
                dealer_ids=None,
            )
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
    _emit("retention", report, fmt, output)


@report_cli.command("rebuild")
def rebuild(
    dealer: DealerOpt = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First due date YYYY-MM-DD (default: earliest)")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last due date YYYY-MM-DD, excluded (default: latest)"),
    ] = None,
) -> None:
    """Rebuild the report aggregates (daily rows, stored month / quarter / year customer counts)
    from the raw tables (all dealers unless --dealer)."""
    since = None if start is None else _date(start, "--from")
    until = None if end is None else _date(end, "--to")
    if since is not None and until is not None and until <= since:
        raise typer.BadParameter("must be after --from", param_hint="--to")

    def progress(dealer_id: int, first: date, last: date, rows: int) -> None:
        err.print(f"dealer {dealer_id}: due dates {first} to {last} (excluded): {rows} rows")

    try:
        written = reporting_service.rebuild_aggregates(
            get_engine(),
            dealer=dealer,
            since=since,
            until=until,
            actor=Actor(type=ActorType.SYSTEM),
            progress=progress,
        )
    except AppError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    err.print(f"Rebuilt the report aggregates: {written} day rows")
