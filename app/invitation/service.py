"""The nightly run (invitations, then call tasks), the invitation list and the catalogue.

The nightly run of one dealer for one date (``run_dealer``):

1. **Expire**: due and queued invitations whose window closed become ``expired``.
2. **Invitations**, in chunks of vehicles (by id): read every fact the engine needs with a few
   set-based queries, evaluate (in worker processes when asked), then insert new invitations and
   update only the rows whose engine-owned columns changed. An invitation of an evaluated vehicle
   that the engine no longer reports while its window is still open (the car was serviced, the
   recall completed, ...) is ``closed``.
3. **Call tasks**, in chunks of customers: every callable (due or queued) invitation of the
   customers with invitations or an open task at this dealer is merged by the engine's
   ``plan_call_tasks`` into one task per customer, across all their vehicles and dealers; the open
   task is updated (or a new one inserted), its invitations linked and marked ``queued``; a
   ``ready`` task left with no reason to call is closed as ``expired``.

Each chunk is committed together with the run's progress (``nightly_run``: phase and the last
vehicle or customer id done), so an interrupted run resumes after the last committed chunk. Every
step writes only what differs, so a re-run for the same date writes no invitation, task or
customer row. Value segments (per dealer group) are refreshed before the dealers are run.

Status rules: ``closed`` is final (a call outcome decided it). A ``queued`` invitation stays queued
while the engine still says ``due``. ``is_control`` never reverts once set, so the control group
stays measurable. ``computed_on`` is the run date that last changed the row.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.enums import CallPurpose, CallTaskOutcome, CallTaskStatus, InvitationStatus
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.gc_pause import gc_paused
from app.invitation import mapping
from app.invitation.mapping import ChunkInput, EvaluatedInvitation, StoredInvitation
from app.invitation.models import (
    InvitationFilter,
    InvitationPublic,
    InvitationsPublic,
    NightlyRunPhase,
    NightlyRunStatus,
    NightlyRunSummary,
    SeasonalCampaign,
    SeasonalCampaignCreate,
    SeasonalCampaignPublic,
    SeasonalCampaignUpdate,
    ServicePlanCreate,
    ServicePlanUpdate,
    Window,
)
from app.invitation.repository import DealerContext, InvitationRepository, PlanInvitation
from app.models import ServicePlan
from app.security.principal import DealerScope
from invitations import (
    CampaignKind,
    DealerPolicy,
    InvitationType,
    add_months,
    plan_call_tasks,
    value_segments,
)

CHUNK_VEHICLES = 5_000
CHUNK_CUSTOMERS = 2_000
SEGMENT_MONTHS = 24

# The columns the engine decides; a re-run compares exactly these.
_ENGINE_COLUMNS = (
    "customer_id",
    "type",
    "due_date",
    "opens_date",
    "expires_date",
    "priority",
    "status",
    "suppression_reason",
    "is_control",
    "explanation",
    "explanation_template",
    "explanation_params",
    "confidence",
)

Progress = Callable[[str, int, int], None]
"""``progress(dealer code, vehicles done, vehicles total)``."""


def local_today(time_zone: str) -> date:
    return datetime.now(ZoneInfo(time_zone)).date()


# Value segments ----------------------------------------------------------------------------------


def refresh_value_segments(session: Session, *, group_id: int, as_of: date) -> int:
    """Recompute the group's customer value segments (engine's ``value_segments``) from the
    customer-pay revenue of the last 24 months; writes only changed customers. Returns rows
    written."""
    repo = InvitationRepository(session)
    since = add_months(as_of, -SEGMENT_MONTHS)
    revenue = repo.customer_pay_revenue(group_id=group_id, since=since, today=as_of)
    segments = value_segments({str(c): amount for c, amount in revenue.items()})
    wanted = {int(c): s.value for c, s in segments.items()}
    current = repo.segments_of(sorted(wanted))
    changed = {c: s for c, s in wanted.items() if current.get(c) != s}
    written = repo.set_segments(changed)
    written += repo.set_low_segment_for_non_paying(group_id=group_id, since=since, today=as_of)
    session.commit()
    return written


# The nightly run ---------------------------------------------------------------------------------


def dealer_policy(session: Session, dealer: DealerContext) -> DealerPolicy:
    repo = InvitationRepository(session)
    try:
        return mapping.dealer_policy(
            group_settings=dealer.group_settings,
            dealer_settings=dealer.settings,
            country=dealer.country,
            plan_rows=repo.service_plan_rows(),
            campaign_rows=repo.seasonal_campaign_rows(dealer.id),
        )
    except ValueError as exc:
        raise Conflict(f"dealer {dealer.code}: invalid rule settings or catalogue: {exc}") from exc


class _Serial:
    """Evaluates chunks in this process."""

    depth = 0  # write each chunk as soon as it is evaluated

    def submit(self, chunk: ChunkInput, policy: DealerPolicy) -> Future[list[EvaluatedInvitation]]:
        future: Future[list[EvaluatedInvitation]] = Future()
        future.set_result(mapping.evaluate_chunk(chunk, policy))
        return future


class _Pool:
    """Evaluates chunks in worker processes (chunks are independent)."""

    depth = 1  # one chunk evaluated while the next one is read

    def __init__(self, pool: ProcessPoolExecutor, workers: int) -> None:
        self.pool = pool
        self.parts = 2 * workers  # small pieces keep every worker busy

    def submit(self, chunk: ChunkInput, policy: DealerPolicy) -> _Joined:
        return _Joined(
            [
                self.pool.submit(mapping.evaluate_chunk, part, policy)
                for part in mapping.split_chunk(chunk, self.parts)
            ]
        )


class _Joined:
    """The pieces of one chunk evaluated in parallel, joined in order."""

    def __init__(self, futures: list[Future[list[EvaluatedInvitation]]]) -> None:
        self.futures = futures

    def result(self) -> list[EvaluatedInvitation]:
        return [item for future in self.futures for item in future.result()]

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()


@contextmanager
def _evaluator(workers: int) -> Iterator[Any]:
    if workers <= 1:
        yield _Serial()
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield _Pool(pool, workers)


def run_nightly(
    session: Session,
    *,
    as_of: date | None = None,
    dealer_code: str | None = None,
    time_zone: str | None = None,
    skip_completed: bool = False,
    chunk_size: int = CHUNK_VEHICLES,
    workers: int = 1,
    progress: Progress | None = None,
    max_chunks: int | None = None,
) -> list[NightlyRunSummary]:
    """The nightly run for every dealer (or one dealer, or the dealers of one time zone).

    ``as_of`` defaults to today in each dealer's time zone. ``skip_completed`` (the scheduler)
    leaves a dealer alone when its run for the date already completed; otherwise a completed run
    is run again from the start (it writes only what changed since). ``workers`` > 1 evaluates
    chunks in that many processes. ``max_chunks`` stops each dealer's run after that many chunks
    (for tests of the resume), leaving it to be resumed.
    """
    repo = InvitationRepository(session)
    dealers = repo.dealers(code=dealer_code, time_zone=time_zone)
    if dealer_code is not None and not dealers:
        raise NotFound(f"unknown dealer {dealer_code!r}")
    summaries: list[NightlyRunSummary] = []
    refreshed: set[tuple[int, date]] = set()
    with _evaluator(workers) as evaluator:
        for dealer in dealers:
            day = as_of or local_today(dealer.time_zone)
            # One dealer's run allocates millions of short-lived objects; the cyclic collector's
            # passes over them (and over the whole heap) were a fifth of the run's CPU. Reference
            # counting frees them; the few cycles wait for the end of the dealer's run.
            with gc_paused():
                segments = 0
                if (dealer.group_id, day) not in refreshed:
                    segments = refresh_value_segments(session, group_id=dealer.group_id, as_of=day)
                    refreshed.add((dealer.group_id, day))
                summary = run_dealer(
                    session,
                    dealer=dealer,
                    as_of=day,
                    skip_completed=skip_completed,
                    chunk_size=chunk_size,
                    evaluator=evaluator,
                    progress=progress,
                    max_chunks=max_chunks,
                )
            summary.segments_updated = segments
            summaries.append(summary)
    return summaries


def run_dealer(
    session: Session,
    *,
    dealer: DealerContext,
    as_of: date,
    skip_completed: bool = False,
    chunk_size: int = CHUNK_VEHICLES,
    evaluator: Any = None,
    progress: Progress | None = None,
    max_chunks: int | None = None,
) -> NightlyRunSummary:
    """The nightly run of one dealer for one date (module docstring). Commits after each chunk
    (with the run's progress), so that an interrupted run resumes where it stopped."""
    repo = InvitationRepository(session)
    summary = NightlyRunSummary(dealer=dealer.code, run_date=as_of)
    existing = repo.nightly_run(dealer_id=dealer.id, run_date=as_of)
    if existing is not None and existing.status == NightlyRunStatus.COMPLETED and skip_completed:
        summary.skipped = True
        return summary
    if existing is None or existing.status == NightlyRunStatus.COMPLETED:
        run_id = repo.start_nightly_run(dealer_id=dealer.id, run_date=as_of)
        phase, cursor = NightlyRunPhase.INVITATIONS, 0
        session.commit()
    else:
        run_id, phase, cursor = existing.id, existing.phase, existing.cursor
        summary.resumed = True
    policy = dealer_policy(session, dealer)
    evaluator = evaluator or _Serial()
    chunks = 0

    if phase == NightlyRunPhase.INVITATIONS:
        summary.invitations_expired += repo.expire_invitations(dealer_id=dealer.id, today=as_of)
        session.commit()
        total = repo.count_vehicles(dealer_id=dealer.id)
        done = total - repo.count_vehicles(dealer_id=dealer.id, after=cursor)
        # Read the next chunk while the previous one is evaluated (in a worker process).
        pending: list[tuple[int, int, int, Any]] = []
        lo = cursor
        while True:
            hi, count = repo.next_vehicle_bound(dealer_id=dealer.id, after=lo, size=chunk_size)
            if count:
                chunk = repo.load_chunk(
                    dealer_id=dealer.id, lo=lo, hi=hi, today=as_of, time_zone=dealer.time_zone
                )
                session.commit()  # end the read transaction (SQLite: let others write)
                pending.append((lo, hi, count, evaluator.submit(chunk, policy)))
                lo = hi
            if pending and (len(pending) > evaluator.depth or not count):
                chunk_lo, chunk_hi, vehicles, future = pending.pop(0)
                written = _write_chunk(
                    repo, dealer=dealer, lo=chunk_lo, hi=chunk_hi, today=as_of,
                    evaluated=future.result(), summary=summary,
                )  # fmt: skip
                repo.save_progress(run_id, cursor=chunk_hi)
                repo.add_to_run(run_id, vehicles=vehicles, rows_written=written)
                session.commit()
                done += vehicles
                summary.vehicles += vehicles
                chunks += 1
                if progress is not None:
                    progress(dealer.code, done, total)
                if max_chunks is not None and chunks >= max_chunks:
                    for *_, rest in pending:
                        rest.cancel()
                    return summary
            if not count and not pending:
                break
        repo.save_progress(run_id, phase=NightlyRunPhase.TASKS, cursor=0)
        session.commit()
        phase, cursor = NightlyRunPhase.TASKS, 0

    if phase == NightlyRunPhase.TASKS:
        zone = ZoneInfo(dealer.time_zone)
        while True:
            customers = repo.task_candidates(
                dealer_id=dealer.id, after=cursor, size=CHUNK_CUSTOMERS, today=as_of
            )
            if not customers:
                break
            written = _plan_tasks(
                repo, dealer=dealer, customer_ids=customers, today=as_of, policy=policy,
                zone=zone, summary=summary,
            )  # fmt: skip
            cursor = customers[-1]
            repo.save_progress(run_id, cursor=cursor)
            repo.add_to_run(run_id, vehicles=0, rows_written=written)
            session.commit()
            chunks += 1
            if max_chunks is not None and chunks >= max_chunks:
                return summary
        repo.save_progress(
            run_id,
            phase=NightlyRunPhase.DONE,
            status=NightlyRunStatus.COMPLETED,
            finished_at=datetime.now(UTC),
        )
        session.commit()
    return summary


def _merge(old: StoredInvitation, new: dict[str, Any]) -> dict[str, Any]:
    """The changed engine-owned columns of a stored invitation (empty: nothing to write)."""
    if old.status == InvitationStatus.CLOSED:
        return {}
    wanted = dict(new)
    if wanted["status"] == InvitationStatus.DUE and old.status == InvitationStatus.QUEUED:
        wanted["status"] = InvitationStatus.QUEUED.value
    wanted["is_control"] = bool(old.is_control) or wanted["is_control"]
    return {c: wanted[c] for c in _ENGINE_COLUMNS if getattr(old, c) != wanted[c]}


def _write_chunk(
    repo: InvitationRepository,
    *,
    dealer: DealerContext,
    lo: int,
    hi: int,
    today: date,
    evaluated: list[EvaluatedInvitation],
    summary: NightlyRunSummary,
) -> int:
    """Persist one chunk's decisions; returns the rows written."""
    stored = repo.stored_invitations(dealer_id=dealer.id, lo=lo, hi=hi, today=today)
    inserts: list[dict[str, Any]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    for item in evaluated:
        old = stored.pop(item.dedup_key, None)
        if old is None:
            inserts.append(
                {
                    "dedup_key": item.dedup_key,
                    "dealer_id": dealer.id,
                    "vehicle_id": item.vehicle_id,
                    "computed_on": today,
                    "call_task_id": None,
                    **item.values,
                }
            )
            continue
        changed = _merge(old, item.values)
        if changed:
            changed["computed_on"] = today
            updates.append((old.id, changed))
    # What the engine stopped reporting while its window is open no longer applies.
    closed = [
        (old.id, {"status": InvitationStatus.CLOSED.value, "computed_on": today})
        for old in stored.values()
        if old.status != InvitationStatus.CLOSED
        and old.status != InvitationStatus.EXPIRED
        and old.expires_date >= today
    ]
    inserted = repo.insert_invitations(inserts)
    repo.update_invitations(updates + closed)
    summary.invitations_inserted += inserted
    summary.invitations_updated += len(updates)
    summary.invitations_closed += len(closed)
    return inserted + len(updates) + len(closed)


@dataclass(frozen=True, slots=True)
class _TaskRow:
    priority: int
    primary_type: str
    purpose: str


def _plan_tasks(
    repo: InvitationRepository,
    *,
    dealer: DealerContext,
    customer_ids: list[int],
    today: date,
    policy: DealerPolicy,
    zone: ZoneInfo,
    summary: NightlyRunSummary,
) -> int:
    stored = repo.callable_invitations(customer_ids, today)
    by_key: dict[str, PlanInvitation] = {row.dedup_key: row for row in stored}
    customers = {
        str(row.id): mapping.customer_facts(row) for row in repo.customer_rows(customer_ids)
    }
    horizon = max(policy.min_days_between_contacts, policy.unreachable_cooldown_days) + 1
    since = datetime.combine(today - timedelta(days=horizon), time.min, zone)
    history = [
        record
        for row in repo.contact_history(customer_ids, since)
        if (record := mapping.contact_record(row[0], row[1], row[2], zone)) is not None
    ]
    plans = plan_call_tasks(
        [
            mapping.stored_invitation(
                dedup_key=row.dedup_key,
                vin=row.vin,
                customer_id=row.customer_id,
                type=row.type,
                due_date=row.due_date,
                opens_date=row.opens_date,
                expires_date=row.expires_date,
                priority=row.priority,
            )
            for row in stored
        ],
        customers=customers,
        today=today,
        policy=policy,
        contact_history=history,
    )
    open_tasks = repo.open_tasks(customer_ids)
    inserts: list[dict[str, Any]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    planned: dict[int, list[str]] = {}
    for plan in plans:
        customer_id = int(plan.customer_id)
        only_recalls = all(inv.type is InvitationType.RECALL for inv in plan.invitations)
        wanted = _TaskRow(
            priority=plan.priority,
            primary_type=plan.primary.type.value,
            purpose=(
                CallPurpose.SAFETY_RECALL if only_recalls else CallPurpose.SERVICE_REMINDER
            ).value,
        )
        planned[customer_id] = [inv.dedup_key for inv in plan.invitations]
        task = open_tasks.get(customer_id)
        if task is None:
            inserts.append(
                {
                    "dealer_id": dealer.id,
                    "customer_id": customer_id,
                    "priority": wanted.priority,
                    "primary_type": wanted.primary_type,
                    "purpose": wanted.purpose,
                }
            )
            continue
        changed = {
            name: getattr(wanted, name)
            for name in ("priority", "primary_type", "purpose")
            if getattr(task, name) != getattr(wanted, name)
        }
        if changed:
            updates.append((task.id, changed))
    new_ids = repo.insert_tasks(inserts)
    task_ids = {c: t.id for c, t in open_tasks.items()} | new_ids
    closes = [
        (
            task.id,
            {
                "status": CallTaskStatus.CLOSED.value,
                "outcome": CallTaskOutcome.EXPIRED.value,
                "closed_at": datetime.now(UTC),
            },
        )
        for customer_id, task in open_tasks.items()
        if customer_id not in planned and task.status == CallTaskStatus.READY
    ]
    repo.update_tasks(updates + closes)

    links: list[tuple[int, int | None, str]] = []
    linked: set[int] = set()
    for customer_id, keys in planned.items():
        task_id = task_ids[customer_id]
        for key in keys:
            row = by_key[key]
            linked.add(row.id)
            if row.call_task_id != task_id or row.status != InvitationStatus.QUEUED:
                links.append((row.id, task_id, InvitationStatus.QUEUED.value))
    for row in stored:
        if row.id not in linked and row.status == InvitationStatus.QUEUED:
            links.append((row.id, None, InvitationStatus.DUE.value))
    repo.link_invitations(links)
    summary.tasks_inserted += len(inserts)
    summary.tasks_updated += len(updates)
    summary.tasks_closed += len(closes)
    summary.invitations_queued += len(links)
    return len(inserts) + len(updates) + len(closes) + len(links)


# Listing -----------------------------------------------------------------------------------------


def _public(row: Any) -> InvitationPublic:
    return InvitationPublic(
        id=row.id,
        vin=row.vin,
        customer=row.customer_external_id,
        dealer=row.dealer_code,
        type=row.type,
        due_date=row.due_date,
        window=Window(opens=row.opens_date, expires=row.expires_date),
        status=row.status,
        suppression_reason=row.suppression_reason,
        is_control=row.is_control,
        dedup_key=row.dedup_key,
        priority=row.priority,
        explanation=row.explanation,
        explanation_template=row.explanation_template,
        explanation_params=dict(row.explanation_params or {}),
        confidence=row.confidence,
        computed_on=row.computed_on,
        call_task_id=row.call_task_id,
    )


def list_invitations(
    session: Session,
    *,
    filters: InvitationFilter,
    limit: int,
    offset: int,
    dealer_ids: DealerScope = None,
) -> InvitationsPublic:
    """A page of invitations of the caller's dealers (``dealer_ids`` None: every dealer)."""
    rows, total = InvitationRepository(session).list_invitations(
        dealer_ids=dealer_ids,
        dealer_code=filters.dealer,
        type=None if filters.type is None else filters.type.value,
        status=None if filters.status is None else filters.status.value,
        due_from=filters.due_from,
        due_to=filters.due_to,
        customer=filters.customer,
        vin=filters.vin,
        limit=limit,
        offset=offset,
    )
    return InvitationsPublic(
        data=[_public(r) for r in rows], count=total, limit=limit, offset=offset
    )


def invitations_as_of(
    session: Session, *, as_of: date, dealer_code: str | None = None
) -> list[InvitationPublic]:
    """The invitations as stored after the run for ``as_of``: every open one (due, queued,
    control, suppressed) whose window contains the date, plus every one changed on that date
    (``computed_on``), which includes those expired or closed by that run."""
    repo = InvitationRepository(session)
    if dealer_code is not None and repo.dealer_id_by_code(dealer_code) is None:
        raise NotFound(f"unknown dealer {dealer_code!r}")
    return [_public(r) for r in repo.invitations_as_of(as_of=as_of, dealer_code=dealer_code)]


# Catalogue ---------------------------------------------------------------------------------------


def _require_global(dealer_ids: DealerScope) -> None:
    if dealer_ids is not None:
        raise PermissionDenied("only a platform administrator may change the shared catalogue")


def _plan_values(plan: ServicePlan) -> dict[str, Any]:
    return plan.model_dump(exclude={"created_at", "updated_at"})


def list_service_plans(session: Session) -> list[ServicePlan]:
    return InvitationRepository(session).list_service_plans()


def create_service_plan(
    session: Session, *, data: ServicePlanCreate, actor: Actor, dealer_ids: DealerScope
) -> ServicePlan:
    _require_global(dealer_ids)
    repo = InvitationRepository(session)
    if repo.service_plan_by_key(data.make, data.model, data.fuel) is not None:
        raise Conflict(f"a service plan for {data.make}/{data.model}/{data.fuel} exists already")
    plan = ServicePlan(**data.model_dump())
    session.add(plan)
    try:
        session.flush()
    except IntegrityError:  # created at the same moment by someone else
        session.rollback()
        raise Conflict(
            f"a service plan for {data.make}/{data.model}/{data.fuel} exists already"
        ) from None
    audit.record(
        session, actor=actor, action="service_plan.create", object_type="service_plan",
        object_id=plan.id, after=_plan_values(plan),
    )  # fmt: skip
    session.commit()
    session.refresh(plan)
    return plan


def update_service_plan(
    session: Session,
    *,
    plan_id: int,
    data: ServicePlanUpdate,
    actor: Actor,
    dealer_ids: DealerScope,
) -> ServicePlan:
    _require_global(dealer_ids)
    plan = InvitationRepository(session).get_service_plan(plan_id)
    if plan is None:
        raise NotFound("service plan not found")
    before = _plan_values(plan)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name != "first_service_km":
            continue
        setattr(plan, name, value)
    session.add(plan)
    audit.record(
        session, actor=actor, action="service_plan.update", object_type="service_plan",
        object_id=plan.id, before=before, after=_plan_values(plan),
    )  # fmt: skip
    session.commit()
    session.refresh(plan)
    return plan


def delete_service_plan(
    session: Session, *, plan_id: int, actor: Actor, dealer_ids: DealerScope
) -> None:
    _require_global(dealer_ids)
    plan = InvitationRepository(session).get_service_plan(plan_id)
    if plan is None:
        raise NotFound("service plan not found")
    before = _plan_values(plan)
    session.delete(plan)
    audit.record(
        session, actor=actor, action="service_plan.delete", object_type="service_plan",
        object_id=plan_id, before=before,
    )  # fmt: skip
    session.commit()


def _campaign_public(campaign: SeasonalCampaign, codes: dict[int, str]) -> SeasonalCampaignPublic:
    return SeasonalCampaignPublic(
        id=campaign.id or 0,
        code=campaign.code,
        dealer=None if campaign.dealer_id is None else codes.get(campaign.dealer_id),
        kind=CampaignKind(campaign.kind),
        country=campaign.country,
        start_month=campaign.start_month,
        start_day=campaign.start_day,
        end_month=campaign.end_month,
        end_day=campaign.end_day,
        after_easter=campaign.after_easter,
        enabled=campaign.enabled,
    )


def _campaign_values(campaign: SeasonalCampaign) -> dict[str, Any]:
    return campaign.model_dump(exclude={"created_at", "updated_at"})


def _check_campaign(campaign: SeasonalCampaign) -> None:
    for prefix in ("start", "end"):
        month, day = getattr(campaign, f"{prefix}_month"), getattr(campaign, f"{prefix}_day")
        try:
            date(2024, month, day)  # a leap year: 29 Feb is a valid window bound
        except ValueError as exc:
            raise ValidationFailed(
                "The seasonal campaign is invalid",
                [
                    {
                        "field": f"{prefix}_day",
                        "location": "body",
                        "message": f"day {day} does not exist in month {month}",
                    }
                ],
            ) from exc
    try:
        mapping.seasonal_campaign(campaign)
    except ValueError as exc:
        raise ValidationFailed(
            "The seasonal campaign is invalid",
            [{"field": "(record)", "location": "body", "message": str(exc)}],
        ) from exc


def _visible_campaign(
    repo: InvitationRepository, campaign_id: int, dealer_ids: DealerScope
) -> SeasonalCampaign:
    """The campaign if the caller may change it: catalogue-wide rows need a platform
    administrator; another dealer's row answers 404."""
    campaign = repo.get_seasonal_campaign(campaign_id)
    if campaign is None or (
        dealer_ids is not None
        and (campaign.dealer_id is None or campaign.dealer_id not in dealer_ids)
    ):
        if campaign is not None and campaign.dealer_id is None:
            _require_global(dealer_ids)
        raise NotFound("seasonal campaign not found")
    return campaign


def list_seasonal_campaigns(
    session: Session, *, dealer_ids: DealerScope = None
) -> list[SeasonalCampaignPublic]:
    """Catalogue-wide campaigns and those of the caller's dealers."""
    repo = InvitationRepository(session)
    campaigns = [
        c
        for c in repo.list_seasonal_campaigns()
        if c.dealer_id is None or dealer_ids is None or c.dealer_id in dealer_ids
    ]
    codes = repo.dealer_codes(c.dealer_id for c in campaigns if c.dealer_id is not None)
    return [_campaign_public(c, codes) for c in campaigns]


def create_seasonal_campaign(
    session: Session, *, data: SeasonalCampaignCreate, actor: Actor, dealer_ids: DealerScope
) -> SeasonalCampaignPublic:
    repo = InvitationRepository(session)
    dealer_id = None
    if data.dealer is None:
        _require_global(dealer_ids)
    else:
        dealer_id = repo.dealer_id_by_code(data.dealer)
        if dealer_id is None or (dealer_ids is not None and dealer_id not in dealer_ids):
            raise NotFound(f"unknown dealer {data.dealer!r}")
    if repo.seasonal_campaign_by_key(data.code, dealer_id) is not None:
        raise Conflict(f"seasonal campaign {data.code} exists already for this scope")
    values = data.model_dump(exclude={"dealer"})
    values["kind"] = data.kind.value
    campaign = SeasonalCampaign(**values, dealer_id=dealer_id)
    _check_campaign(campaign)
    session.add(campaign)
    session.flush()
    audit.record(
        session, actor=actor, action="seasonal_campaign.create", object_type="seasonal_campaign",
        object_id=campaign.id, dealer_id=dealer_id, after=_campaign_values(campaign),
    )  # fmt: skip
    session.commit()
    session.refresh(campaign)
    return _campaign_public(campaign, repo.dealer_codes([dealer_id] if dealer_id else []))


def update_seasonal_campaign(
    session: Session,
    *,
    campaign_id: int,
    data: SeasonalCampaignUpdate,
    actor: Actor,
    dealer_ids: DealerScope,
) -> SeasonalCampaignPublic:
    repo = InvitationRepository(session)
    campaign = _visible_campaign(repo, campaign_id, dealer_ids)
    before = _campaign_values(campaign)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        setattr(campaign, name, value.value if name == "kind" else value)
    _check_campaign(campaign)
    session.add(campaign)
    audit.record(
        session, actor=actor, action="seasonal_campaign.update", object_type="seasonal_campaign",
        object_id=campaign.id, dealer_id=campaign.dealer_id, before=before,
        after=_campaign_values(campaign),
    )  # fmt: skip
    session.commit()
    session.refresh(campaign)
    codes = repo.dealer_codes([campaign.dealer_id] if campaign.dealer_id else [])
    return _campaign_public(campaign, codes)


def delete_seasonal_campaign(
    session: Session, *, campaign_id: int, actor: Actor, dealer_ids: DealerScope
) -> None:
    repo = InvitationRepository(session)
    campaign = _visible_campaign(repo, campaign_id, dealer_ids)
    before = _campaign_values(campaign)
    session.delete(campaign)
    audit.record(
        session, actor=actor, action="seasonal_campaign.delete", object_type="seasonal_campaign",
        object_id=campaign_id, dealer_id=before.get("dealer_id"), before=before,
    )  # fmt: skip
    session.commit()
