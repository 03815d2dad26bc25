"""The ``retention`` command line (contract: shared/contract/README.md)."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from app.db import get_engine, session_scope
from app.dealer.repository import database_has_dealers
from app.enums import Role
from app.errors import AppError, ValidationFailed
from app.invitation import commands as invitation_commands
from app.reporting.commands import report_cli
from app.settings import get_settings

cli = typer.Typer(
    name="retention",
    help="Automotive service retention: invitations, contact-centre queue, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)
cli.add_typer(report_cli, name="report")


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


@cli.command()
def migrate() -> None:
    """Upgrade the configured database to the latest schema (alembic upgrade head)."""
    from app.migrations import upgrade_to_head

    upgrade_to_head(get_settings().database_url)
    err.print("[green]Database is at the latest schema.[/green]")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL only)")] = 1,
) -> None:
    """Serve the API and the UI (and, in embedded mode, the scheduler: the nightly run at 02:00
    in each dealer's time zone; RETENTION_EMBEDDED_SCHEDULER=false turns it off)."""
    import uvicorn

    from app.scheduler.jobs import embedded_scheduler

    settings = get_settings()
    if settings.is_sqlite and workers > 1:
        raise typer.BadParameter("SQLite serves from one process; use PostgreSQL for --workers > 1")
    # Logging is configured by the app (JSON or console, with request ids); the app writes its
    # own access line per request, so uvicorn's is off.
    with embedded_scheduler(settings.embedded_scheduler):
        uvicorn.run(
            "app.main:app",
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            log_config=None,
            access_log=False,
        )


@cli.command()
def scheduler(
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve this process's Prometheus metrics on this port "
            "(default RETENTION_SCHEDULER_METRICS_PORT; 0: none)"
        ),
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Address of the metrics port")] = "127.0.0.1",
) -> None:
    """Run the scheduler as its own process (set RETENTION_EMBEDDED_SCHEDULER=false on the API
    servers). On PostgreSQL it runs jobs only while it holds the scheduler's advisory lock: start
    two and the second waits as a standby, taking over when the first stops or dies."""
    from prometheus_client import start_http_server

    from app.observability.log import configure_logging
    from app.scheduler.jobs import run_scheduler

    settings = get_settings()
    configure_logging(settings)
    port = settings.scheduler_metrics_port if metrics_port is None else metrics_port
    if port:
        start_http_server(port, addr=metrics_host)
    run_scheduler(settings=settings)


@cli.command()
def demo(
    vehicles: Annotated[int, typer.Option(min=1, help="How many vehicles to generate")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data)")] = 42,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Reference date YYYY-MM-DD (default today)")
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database already has dealers")
    ] = False,
) -> None:
    """Load a realistic synthetic dataset into an empty database."""
    from app.demo.generator import load_demo

    engine = get_engine()
    if if_empty and database_has_dealers(engine):
        err.print("Database already has data; demo data not loaded.")
        return
    reference = _parse_date(as_of, "--as-of") if as_of else date.today()
    with _progress() as progress:
        task = progress.add_task("Generating vehicles", total=vehicles)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            summary = load_demo(
                engine, vehicles=vehicles, seed=seed, as_of=reference, progress=report
            )
        except ValueError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    err.print(f"[green]Demo data loaded:[/green] {summary}")


@cli.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=True, help="A JSON document or a CSV directory")
    ],
    format: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    source: Annotated[
        str | None,
        typer.Option(help="CSV: the sending system (default: DIR/source.txt, else DIR's name)"),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="CSV: utf-8, cp1250 or cp1252 (default: detected)")
    ] = None,
) -> None:
    """Import a dataset document (all or nothing); exit status 2 when it is rejected."""
    from app.dataset import service as dataset_service

    if format not in ("json", "csv"):
        raise typer.BadParameter("must be json or csv", param_hint="--format")
    if format == "csv":
        _import_csv(path, source=source, encoding=encoding)
        return
    if path.is_dir():
        raise typer.BadParameter("a JSON import takes one file", param_hint="PATH")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        err.print(f"[red]{path} is not valid JSON: {exc}[/red]")
        raise typer.Exit(2) from exc
    with session_scope() as session:
        try:
            result = dataset_service.import_dataset(session, raw)
        except ValidationFailed as exc:
            _print_rejection(exc)
            raise typer.Exit(2) from exc
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
    print(result.model_dump_json(indent=2))
    err.print(f"Imported from {result.source}: {result.rows_written} row(s) written.")


def _print_rejection(exc: ValidationFailed) -> None:
    err.print(f"[red]{exc.message}[/red]")
    for e in exc.errors:
        if e.get("file"):
            where = f"{e['file']}" + (f" row {e['row']}" if e.get("row") else "")
        else:
            where = e["section"] + (f"[{e['index']}]" if e["index"] is not None else "")
            where += f".{e['field']}"
            err.print(f"  {where}: {e['message']}", markup=False, highlight=False)
            continue
        err.print(f"  {where}: {e['field']}: {e['message']}", markup=False, highlight=False)


def _import_csv(directory: Path, *, source: str | None, encoding: str | None) -> None:
    from contextlib import ExitStack

    from app.dataset.csv_import import files_in, import_csv

    if not directory.is_dir():
        raise typer.BadParameter(
            "a CSV import takes a directory of <section>.csv", param_hint="PATH"
        )
    found, unknown = files_in(directory)
    if unknown:
        err.print(f"[red]Unknown file(s): {', '.join(unknown)} (expected <section>.csv)[/red]")
        raise typer.Exit(2)
    if not found:
        err.print(f"[red]{directory} holds no <section>.csv file[/red]")
        raise typer.Exit(2)
    marker = directory / "source.txt"
    src = source or (marker.read_text("utf-8").strip() if marker.exists() else directory.name)
    with ExitStack() as stack, _progress() as progress, session_scope() as session:
        files: dict[str, tuple[str, IO[bytes]]] = {
            s: (p.name, stack.enter_context(p.open("rb"))) for s, p in found.items()
        }
        task = progress.add_task("Importing CSV (bytes)", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            result = import_csv(session, files, source=src, encoding=encoding, progress=report)
        except ValidationFailed as exc:
            progress.stop()
            _print_rejection(exc)
            raise typer.Exit(2) from exc
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
    print(result.model_dump_json(indent=2))
    err.print(f"Imported from {result.source}: {result.rows_written} row(s) written.")


@cli.command("import-recalls")
def import_recalls(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The file")],
    format: Annotated[
        str, typer.Option("--format", help="list (CSV: campaign_code, vin, status) or flat_rcl")
    ] = "list",
    encoding: Annotated[
        str | None, typer.Option(help="list: utf-8, cp1250 or cp1252 (default: detected)")
    ] = None,
) -> None:
    """Import an OEM recall VIN list, or the NHTSA FLAT_RCL campaign file (all or nothing)."""
    from app.dms import recalls

    if format not in ("list", "flat_rcl"):
        raise typer.BadParameter("must be list or flat_rcl", param_hint="--format")
    with path.open("rb") as stream, session_scope() as session:
        try:
            if format == "list":
                result = recalls.import_recall_list(
                    session, stream, name=path.name, encoding=encoding
                )
            else:
                result = recalls.import_flat_rcl(session, stream, name=path.name)
        except ValidationFailed as exc:
            _print_rejection(exc)
            raise typer.Exit(2) from exc
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
    print(result.model_dump_json(indent=2))
    err.print(f"Imported {path.name}: {result.rows_written} row(s) written.")


@cli.command("dms-pull")
def dms_pull(
    dealer: Annotated[str | None, typer.Option(help="Only this dealer code")] = None,
) -> None:
    """Run the DMS pull connector now (the scheduler runs it every 15 minutes)."""
    from app.dms.jobs import run_pull_connectors

    runs = run_pull_connectors(dealer_code=dealer)
    print(
        json.dumps(
            [
                {
                    "dealer": r.dealer,
                    "entities": [
                        {
                            "entity": e.entity,
                            "fetched": e.fetched,
                            "applied": e.applied,
                            "stale": e.stale,
                            "error": e.error,
                        }
                        for e in r.entities
                    ],
                }
                for r in runs
            ]
        )
    )
    if not all(r.ok for r in runs):
        raise typer.Exit(1)


@cli.command("dms-deliver")
def dms_deliver() -> None:
    """Deliver the due booking-export rows to the dealers' DMS webhooks now."""
    from app.dms.jobs import deliver_outbox

    s = deliver_outbox()
    print(json.dumps({"delivered": s.delivered, "retrying": s.retrying, "failed": s.failed}))


@cli.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Sign-in e-mail")],
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[Role, typer.Option(help="agent, supervisor, manager or admin")],
    group: Annotated[
        str | None, typer.Option(help="Dealer group name: the user sees all its dealers")
    ] = None,
    dealer: Annotated[
        list[str] | None, typer.Option("--dealer", help="Dealer code (repeat for several)")
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option(help="Read the password from this environment variable (automation)"),
    ] = None,
) -> None:
    """Create a user; the password is prompted for unless --password-env names a variable.

    An admin without --group and --dealer is a platform administrator (every dealer).
    """
    from app import audit
    from app.auth import service as auth_service

    password = _password(password_env)
    with session_scope() as session:
        try:
            user = auth_service.create_user(
                session,
                email=email,
                display_name=name,
                role=role,
                password=password,
                group=group,
                dealers=dealer or [],
                actor=audit.SYSTEM,
            )
        except AppError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
        err.print(f"[green]Created user {user.id} ({user.email}, {user.role}).[/green]")


def _password(env_name: str | None) -> str:
    if env_name is not None:
        value = os.environ.get(env_name)
        if not value:
            raise typer.BadParameter(f"${env_name} is not set", param_hint="--password-env")
        return value
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@cli.command("create-api-key")
def create_api_key(
    dealer: Annotated[str, typer.Option(help="Dealer code")],
    scope: Annotated[
        list[str], typer.Option("--scope", help="import:write, read or webhook (repeatable)")
    ],
    name: Annotated[str, typer.Option(help="What the key is for")] = "DMS integration",
) -> None:
    """Create an integration API key for one dealer; the key is printed once, on stdout."""
    from app import audit
    from app.auth import service as auth_service
    from app.auth.models import ApiScope
    from app.auth.repository import AuthRepository
    from app.model_base import utcnow

    try:
        scopes = [ApiScope(s) for s in scope]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scope") from exc
    with session_scope() as session:
        found = AuthRepository(session).dealers_by_code([dealer]).get(dealer)
        if found is None or found.id is None:
            err.print(f"[red]unknown dealer {dealer!r}[/red]")
            raise typer.Exit(1)
        key, secret = auth_service.create_api_key(
            session,
            dealer_id=found.id,
            name=name,
            scopes=scopes,
            actor=audit.SYSTEM,
            dealer_ids=None,
            now=utcnow(),
        )
        err.print(f"Created API key {key.prefix}… for {dealer} ({', '.join(key.scopes)}).")
        err.print("Store it now: it is not shown again.")
    print(secret)


DEMO_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


@cli.command("demo-users")
def demo_users() -> None:
    """Create (or reset) agent@demo.test, supervisor@, manager@ and admin@demo.test with a new
    random password, printed once. Development only."""
    import secrets

    from app.auth import service as auth_service

    if get_settings().environment != "development":
        err.print("[red]demo users exist only in development (RETENTION_ENVIRONMENT).[/red]")
        raise typer.Exit(1)
    password = secrets.token_urlsafe(12)
    with session_scope() as session:
        group = auth_service.first_group_name(session)
        for role in DEMO_ROLES:
            auth_service.create_user(
                session,
                email=f"{role.value}@demo.test",
                display_name=f"Demo {role.value}",
                role=role,
                password=password,
                # The admin sees every dealer; the others the first dealer group.
                group=None if role == Role.ADMIN else group,
                replace=True,
            )
    users = ", ".join(f"{r.value}@demo.test" for r in DEMO_ROLES)
    print(f"Demo users: {users}  password: {password}")


@cli.command("anonymise-inactive")
def anonymise_inactive(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count, change nothing")] = False,
    years: Annotated[
        int | None,
        typer.Option(min=1, help="Inactivity in years (default RETENTION_INACTIVE_CUSTOMER_YEARS)"),
    ] = None,
) -> None:
    """Anonymise customers with no RO, appointment, call or import update for N years."""
    from app.model_base import utcnow
    from app.privacy import service as privacy_service

    span = years or get_settings().inactive_customer_years
    with session_scope() as session:
        ids = privacy_service.anonymise_inactive(session, now=utcnow(), years=span, dry_run=dry_run)
    verb = "would be anonymised" if dry_run else "anonymised"
    print(json.dumps({"years": span, "dry_run": dry_run, "customers": len(ids)}))
    err.print(f"{len(ids)} customer(s) inactive for {span} year(s) {verb}.")


cli.command("compute")(invitation_commands.compute)
cli.command("invitations")(invitation_commands.invitations)


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from exc


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
