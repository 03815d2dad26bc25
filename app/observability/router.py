"""``GET /metrics``: Prometheus exposition format, for the readers ``metrics_reader`` admits."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from app.deps import SessionDep
from app.observability.database import refresh_database_gauges
from app.observability.metrics import render
from app.security.access import metrics_reader

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/metrics", dependencies=[Depends(metrics_reader())])
def read_metrics(session: SessionDep) -> Response:
    refresh_database_gauges(session)
    body, content_type = render()
    return Response(body, media_type=content_type)
