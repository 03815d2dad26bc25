"""Concurrent imports: every one succeeds or fails cleanly, on SQLite as on PostgreSQL."""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from app.dataset.service import import_dataset
from app.db import build_engine
from app.migrations import upgrade_to_head
from app.models import Customer
from tests.app.dataset.test_import import example
from tests.conftest import drop_database, fresh_database_url

THREADS = 6


def _document(n: int) -> dict[str, Any]:
    """The example dataset under its own source, with customer keys made unique per thread."""
    doc = copy.deepcopy(example())
    doc["source"] = f"dms-{n}"
    return doc


def test_concurrent_imports_all_succeed(backend: str, tmp_path: Path) -> None:
    url = fresh_database_url(backend, str(tmp_path))
    try:
        upgrade_to_head(url)
        engine = build_engine(url)
        start = threading.Barrier(THREADS)
        failures: list[BaseException] = []

        def run(n: int) -> None:
            start.wait()
            try:
                with Session(engine) as session:
                    import_dataset(session, _document(n % 2))
            except BaseException as exc:  # reported below, with the thread's number
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        with Session(engine) as session:
            customers = session.exec(select(func.count()).select_from(Customer)).one()
        single = len(example()["customers"])
        assert customers[0] == 2 * single  # two sources, each imported three times, no duplicates
        engine.dispose()
    finally:
        drop_database(url)
