"""The contact centre's pages: the agent workspace and the supervisor board.

Both are shells rendered here; their scripts (``workspace.js``, ``supervisor.js``) call the
contact-centre API (``app/contact/router.py``) for everything that changes while the page is open.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.contact import supervisor as supervisor_service
from app.dealer import service as dealer_service
from app.deps import SessionDep
from app.enums import Role
from app.model_base import utcnow
from app.web.access import Viewer, page
from app.web.rendering import render

router = APIRouter(include_in_schema=False)

# The same roles as the API they call: agents take calls (supervisors and administrators cover
# shifts); supervisors, managers and administrators watch the queue.
AgentViewer = Annotated[Viewer, Depends(page(roles={Role.AGENT, Role.SUPERVISOR, Role.ADMIN}))]
SupervisorViewer = Annotated[
    Viewer, Depends(page(roles={Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}))
]
DealerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_DEALERS = 200


@router.get("/agent", response_class=HTMLResponse)
def workspace_page(request: Request, viewer: AgentViewer, session: SessionDep) -> HTMLResponse:
    dealers = dealer_service.list_dealers(
        session, dealer_ids=viewer.principal.dealer_ids, limit=MAX_DEALERS, offset=0
    )
    return render(
        request,
        "agent/workspace.html",
        viewer=viewer,
        dealers={
            d.id: {
                "code": d.code,
                "name": d.name,
                "time_zone": d.time_zone,
                "currency": d.currency,
                "distance_unit": d.distance_unit.value,
            }
            for d in dealers.data
        },
    )


@router.get("/supervisor", response_class=HTMLResponse)
def supervisor_home_page(
    request: Request, viewer: SupervisorViewer, session: SessionDep
) -> Response:
    dealers = dealer_service.list_dealers(
        session, dealer_ids=viewer.principal.dealer_ids, limit=MAX_DEALERS, offset=0
    )
    if len(dealers.data) == 1:
        return RedirectResponse(f"/supervisor/{dealers.data[0].id}", status_code=303)
    depth = supervisor_service.queue_depth(
        session, dealer_ids=viewer.principal.dealer_ids, now=utcnow()
    )
    totals: dict[str, dict[str, int]] = {}
    for row in depth.data:
        line = totals.setdefault(row.dealer, {"open": 0, "callable": 0})
        line["open"] += row.tasks
        line["callable"] += row.callable_now
    return render(
        request, "supervisor/dealers.html", viewer=viewer, dealers=dealers.data, totals=totals
    )


@router.get("/supervisor/{dealer_id}", response_class=HTMLResponse)
def supervisor_board_page(
    request: Request, dealer_id: DealerId, viewer: SupervisorViewer, session: SessionDep
) -> HTMLResponse:
    board = supervisor_service.read_board(
        session, dealer_id=dealer_id, dealer_ids=viewer.principal.dealer_ids
    )
    return render(request, "supervisor/board.html", viewer=viewer, board=board)
