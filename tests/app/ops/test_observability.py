"""Request ids, structured logs and Prometheus metrics, through the real application."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.observability.log import configure_logging
from app.observability.metrics import JOB_RUNS, job_run
from app.settings import Settings, get_settings
from tests.app.conftest import app_on
from tests.app.dataset.test_import import example

SETTINGS = Settings(environment="test")


@contextmanager
def json_logs() -> Iterator[io.StringIO]:
    """The JSON log the process writes (as in production), captured; the test settings' handler
    is restored afterwards. Enter it after creating the app, which installs its own handler."""
    stream = io.StringIO()
    configure_logging(
        Settings(environment="production", secret_key=SecretStr("s" * 40)), stream=stream
    )
    try:
        yield stream
    finally:
        configure_logging(get_settings())


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _app_with_a_logging_route(session: Session) -> FastAPI:
    application = app_on(session)

    @application.get("/_test/log")
    def log_something() -> dict[str, str]:
        logging.getLogger("app.test").info("calling customer on %s", "+420 601 123 456")
        logging.getLogger("app.test").warning(
            "mail to %s", "jana@example.cz", extra={"phone": "+420601123456"}
        )
        return {"status": "logged"}

    return application


class TestRequestId:
    def test_a_valid_request_id_is_echoed(self, anon_client: TestClient) -> None:
        response = anon_client.get("/healthz", headers={"X-Request-ID": "proxy-abc.123"})

        assert response.headers["X-Request-ID"] == "proxy-abc.123"

    @pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 65, "semi;colon"])
    def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(
        self, anon_client: TestClient, sent: str | None
    ) -> None:
        headers = {} if sent is None else {"X-Request-ID": sent}
        first = anon_client.get("/healthz", headers=headers).headers["X-Request-ID"]
        second = anon_client.get("/healthz", headers=headers).headers["X-Request-ID"]

        assert len(first) == 32
        assert int(first, 16) >= 0
        assert first != second

    def test_errors_and_refusals_carry_the_request_id_too(self, anon_client: TestClient) -> None:
        unauthenticated = anon_client.get("/api/v1/auth/me", headers={"X-Request-ID": "r-401"})
        too_large = anon_client.post(
            "/api/v1/import",
            content=b"{}",
            headers={"X-Request-ID": "r-413", "content-length": str(10**12)},
        )

        assert unauthenticated.status_code == 401
        assert unauthenticated.headers["X-Request-ID"] == "r-401"
        assert too_large.status_code == 413
        assert too_large.headers["X-Request-ID"] == "r-413"

    def test_the_audit_log_records_the_same_request_id(
        self, client: TestClient, session: Session
    ) -> None:
        response = client.post("/api/v1/import", json=example(), headers={"X-Request-ID": "imp-1"})

        assert response.status_code == 200, response.text
        events = session.execute(
            select(AuditEvent).where(AuditEvent.request_id == "imp-1")  # type: ignore[arg-type]
        ).scalars()
        assert list(events)


class TestStructuredLogs:
    def test_every_line_of_a_request_is_json_with_its_request_id_and_no_personal_data(
        self, session: Session
    ) -> None:
        application = _app_with_a_logging_route(session)
        with json_logs() as log_stream, TestClient(application) as client:
            response = client.get("/_test/log", headers={"X-Request-ID": "req-42"})
            client.get("/healthz", headers={"X-Request-ID": "other"})

        assert response.status_code == 200
        lines = [line for line in _lines(log_stream) if line["request_id"] == "req-42"]
        assert {line["request_id"] for line in _lines(log_stream) if line["logger"] != "httpx"} == {
            "req-42",
            "other",
        }
        assert [line["logger"] for line in lines] == ["app.test", "app.test", "app.access"]
        info, warning, access = lines
        assert info["message"] == "calling customer on [phone]"
        assert info["level"] == "INFO"
        assert info["time"].endswith("+00:00")
        assert warning["message"] == "mail to [email]"
        assert warning["phone"] == "[phone]"
        assert access["route"] == "/_test/log"
        assert access["status"] == 200
        assert access["method"] == "GET"
        assert access["duration_ms"] >= 0
        assert "601 123 456" not in log_stream.getvalue()
        assert "601123456" not in log_stream.getvalue()
        assert "jana@" not in log_stream.getvalue()

    def test_a_traceback_in_a_json_line_is_redacted(self) -> None:
        with json_logs() as log_stream:
            try:
                raise ValueError("bad number +420601123456")
            except ValueError:
                logging.getLogger("app.test").exception("failed")

        (line,) = _lines(log_stream)
        assert "ValueError: bad number [phone]" in line["exc_info"]
        assert line["request_id"] == "-"

    def test_development_logs_are_console_lines_with_the_request_id(self) -> None:
        stream = io.StringIO()
        configure_logging(Settings(environment="development"), stream=stream)
        try:
            logging.getLogger("app.test").info("hello %s", "+420601123456")
        finally:
            configure_logging(get_settings())

        text = stream.getvalue()
        assert "INFO    app.test [-] hello [phone]" in text
        assert not text.lstrip().startswith("{")


class TestMetrics:
    def _scrape(self, session: Session, **client_kwargs: Any) -> Any:
        with TestClient(app_on(session), **client_kwargs) as client:
            client.get("/healthz")
            client.get("/api/v1/auth/me")
            client.get("/no/such/page/12345")
            return client.get("/metrics", headers=client_kwargs.pop("scrape_headers", {}))

    def test_a_loopback_client_reads_request_latency_by_route_template(
        self, session: Session
    ) -> None:
        response = self._scrape(session, client=("127.0.0.1", 40000))

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        body = response.text
        assert (
            'retention_http_request_duration_seconds_count{method="GET",route="/healthz",'
            'status="200"}' in body
        )
        assert 'route="/api/v1/auth/me",status="401"' in body
        assert 'route="<unmatched>",status="404"' in body
        assert "/no/such/page" not in body  # raw paths never become labels

    def test_the_shared_metrics_are_defined_for_the_other_components(
        self, session: Session
    ) -> None:
        body = self._scrape(session, client=("::1", 40000)).text

        for name in (
            "retention_call_queue_depth",
            "retention_invitations_computed_total",
            "retention_job_runs_total",
            "retention_job_duration_seconds",
            "retention_outbox_backlog",
            "retention_db_retries_total",
        ):
            assert f"# TYPE {name.removesuffix('_total')}" in body, name

    def test_a_remote_client_is_refused_without_a_token(self, session: Session) -> None:
        response = self._scrape(session, client=("203.0.113.9", 40000))

        assert response.status_code == 403
        assert "RETENTION_METRICS_TOKEN" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("header", "status"),
        [(None, 401), ("Bearer wrong-token", 401), ("Bearer scrape-me-please", 200)],
    )
    def test_with_a_token_configured_only_its_bearer_may_read(
        self, session: Session, header: str | None, status: int
    ) -> None:
        application = app_on(session)
        settings = Settings(environment="test", metrics_token=SecretStr("scrape-me-please"))
        application.dependency_overrides[get_settings] = lambda: settings
        headers = {} if header is None else {"Authorization": header}
        with TestClient(application, client=("127.0.0.1", 40000)) as client:
            response = client.get("/metrics", headers=headers)

        assert response.status_code == status
        if status == 401:
            assert response.headers["WWW-Authenticate"] == "Bearer"

    def test_metrics_are_not_in_the_api_document(self, anon_client: TestClient) -> None:
        assert "/metrics" not in anon_client.get("/openapi.json").json()["paths"]


def test_a_job_run_counts_its_outcome_and_re_raises_a_failure() -> None:
    def count(outcome: str) -> float:
        value = REGISTRY.get_sample_value(
            "retention_job_runs_total", {"job": "test-job", "outcome": outcome}
        )
        return value or 0.0

    succeeded, failed = count("succeeded"), count("failed")
    with job_run("test-job"):
        pass
    with pytest.raises(RuntimeError), job_run("test-job"):
        raise RuntimeError("boom")

    assert count("succeeded") == succeeded + 1
    assert count("failed") == failed + 1
    assert REGISTRY.get_sample_value(
        "retention_job_last_success_timestamp_seconds", {"job": "test-job"}
    )
    assert JOB_RUNS.labels(job="test-job", outcome="skipped") is not None


def test_with_several_workers_the_endpoint_adds_up_every_worker(tmp_path: Path) -> None:
    """``uvicorn --workers N`` with PROMETHEUS_MULTIPROC_DIR: two real processes each count a
    run; a third renders what /metrics serves. prometheus_client picks its storage when it is
    imported, so each step runs in its own interpreter."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from app.observability.metrics import job_run\nwith job_run('multi'):\n    pass\n"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
    rendered = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from app.observability.metrics import render\n"
            "sys.stdout.write(render()[0].decode())",
        ],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout

    assert 'retention_job_runs_total{job="multi",outcome="succeeded"} 2.0' in rendered
