"""Migrations: upgrade to head, down to base and up again; the models and migrations agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.db import build_engine
from app.migrations import alembic_config
from tests.conftest import drop_database, fresh_database_url


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    url = fresh_database_url(backend, str(tmp_path))
    yield url
    drop_database(url)


def test_upgrade_downgrade_and_upgrade_again_leaves_the_full_schema(empty_url: str) -> None:
    config = alembic_config(empty_url)

    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = build_engine(empty_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")

    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables


def test_the_models_match_the_migrations(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "head")
    engine = build_engine(empty_url)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()

    assert diff == []
