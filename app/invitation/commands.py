"""``retention compute`` and ``retention invitations``: plain functions for the Typer app.

Register them in ``app/cli.py``::

    from app.invitation import commands as invitation_commands

    cli.command("compute")(invitation_commands.compute)
    cli.command("invitations")(invitation_commands.invitations)
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from app.db import session_scope
from app.errors import AppError
from app.invitation import service as invitation_service
from app.invitation.models import InvitationPublic
from app.settings import get_settings

err = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from exc


def compute(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Run date YYYY-MM-DD (default: today in each dealer's zone)"),
    ] = None,
    dealer: Annotated[str | None, typer.Option("--dealer", help="Only this dealer (code)")] = None,
    workers: Annotated[
        int,
        typer.Option(min=0, help="Evaluation processes (0: 2 on PostgreSQL, 1 on SQLite)"),
    ] = 0,
) -> None:
    """The nightly run for a date: invitations, then call tasks (resumes an interrupted run)."""
    day = _date(as_of, "--as-of")
    if workers == 0:
        workers = 1 if get_settings().is_sqlite else 2
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    bars: dict[str, Any] = {}

    def report(code: str, done: int, total: int) -> None:
        if code not in bars:
            bars[code] = progress.add_task(f"Dealer {code}", total=total)
        progress.update(bars[code], completed=done, total=total)

    with session_scope() as session, progress:
        try:
            summaries = invitation_service.run_nightly(
                session, as_of=day, dealer_code=dealer, workers=workers, progress=report
            )
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
    result = [s.model_dump(mode="json") | {"rows_written": s.rows_written} for s in summaries]
    typer.echo(json.dumps(result, indent=2))
    vehicles = sum(s.vehicles for s in summaries)
    written = sum(s.rows_written for s in summaries)
    err.print(
        f"Nightly run: {len(summaries)} dealer(s), {vehicles} vehicle(s), "
        f"{sum(s.invitations_inserted for s in summaries)} new invitation(s), "
        f"{sum(s.tasks_inserted for s in summaries)} new call task(s), "
        f"{written} row(s) written."
    )


_CSV_COLUMNS = (
    "id",
    "vin",
    "customer",
    "dealer",
    "type",
    "due_date",
    "window_opens",
    "window_expires",
    "status",
    "suppression_reason",
    "is_control",
    "dedup_key",
    "priority",
    "explanation",
    "explanation_template",
    "explanation_params",
    "confidence",
    "computed_on",
    "call_task_id",
)


def _csv_row(item: InvitationPublic) -> dict[str, Any]:
    data = item.model_dump(mode="json")
    window = data.pop("window")
    data["window_opens"], data["window_expires"] = window["opens"], window["expires"]
    data["explanation_params"] = json.dumps(data["explanation_params"], sort_keys=True)
    return data


def invitations(
    as_of: Annotated[str, typer.Option("--as-of", help="Run date YYYY-MM-DD")],
    dealer: Annotated[str | None, typer.Option("--dealer", help="Only this dealer (code)")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="json or csv")] = (
        OutputFormat.JSON
    ),
) -> None:
    """Print the invitations as stored after the run for a date: the open ones whose window
    contains it, plus those the run changed that day (e.g. expired)."""
    day = _date(as_of, "--as-of")
    assert day is not None
    with session_scope() as session:
        try:
            items = invitation_service.invitations_as_of(session, as_of=day, dealer_code=dealer)
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
    if format is OutputFormat.JSON:
        typer.echo(json.dumps([i.model_dump(mode="json") for i in items], indent=2))
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow(_csv_row(item))
