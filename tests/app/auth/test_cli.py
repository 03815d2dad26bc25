"""The security commands of the CLI against a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from app.auth import service as auth_service
from app.auth.models import ApiKey, User
from app.cli import cli
from app.db import get_engine
from app.model_base import utcnow
from app.settings import get_settings
from tests.app.dataset.test_import import example
from tests.conftest import drop_database, fresh_database_url

PASSWORD = "a long enough password"


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = fresh_database_url(backend, str(tmp_path))
    monkeypatch.setenv("RETENTION_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    document = tmp_path / "dataset.json"
    document.write_text(json.dumps(example()), encoding="utf-8")
    assert runner.invoke(cli, ["import", str(document)]).exit_code == 0
    yield url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    drop_database(url)


def user(email: str) -> User | None:
    with Session(get_engine()) as session:
        return session.execute(select(User).where(User.email == email)).scalar_one_or_none()


@pytest.mark.usefixtures("database")
class TestCommands:
    def test_create_user_takes_the_password_from_an_environment_variable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("NEW_PASSWORD", PASSWORD)

        result = CliRunner().invoke(
            cli,
            [
                "create-user",
                "--email",
                "Agent@Example.test",
                "--name",
                "Agent",
                "--role",
                "agent",
                "--dealer",
                "PRG1",
                "--password-env",
                "NEW_PASSWORD",
            ],
        )

        assert result.exit_code == 0, result.output
        created = user("agent@example.test")
        assert created is not None
        assert created.password_hash is not None
        assert created.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        with Session(get_engine()) as session:
            assert auth_service.dealer_ids_of(session, user=created)

    def test_create_user_refuses_a_short_password_and_an_unknown_dealer(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SHORT", "short")
        monkeypatch.setenv("GOOD", PASSWORD)
        base = ["create-user", "--email", "x@example.test", "--name", "X", "--role", "manager"]

        short = CliRunner().invoke(cli, [*base, "--password-env", "SHORT"])
        unknown = CliRunner().invoke(cli, [*base, "--dealer", "NOPE", "--password-env", "GOOD"])

        assert short.exit_code == unknown.exit_code == 1
        assert "12 characters" in short.stderr
        assert "NOPE" in unknown.stderr
        assert user("x@example.test") is None

    def test_create_api_key_prints_the_key_once_and_stores_its_hash(self) -> None:
        result = CliRunner().invoke(
            cli, ["create-api-key", "--dealer", "PRG1", "--scope", "import:write"]
        )

        assert result.exit_code == 0, result.output
        secret = result.stdout.strip()
        with Session(get_engine()) as session:
            key = auth_service.authenticate_api_key(session, secret=secret, now=utcnow())
            assert key.scopes == ["import:write"]
            assert session.execute(select(ApiKey.key_hash)).scalar_one() != secret

    def test_demo_users_are_refused_outside_development(self) -> None:
        result = CliRunner().invoke(cli, ["demo-users"])  # the tests run as "test"

        assert result.exit_code == 1
        assert user("admin@demo.test") is None

    def test_demo_users_get_a_printed_password_in_development(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("RETENTION_ENVIRONMENT", "development")
        get_settings.cache_clear()

        first = CliRunner().invoke(cli, ["demo-users"])
        second = CliRunner().invoke(cli, ["demo-users"])

        assert first.exit_code == second.exit_code == 0, first.output
        password = second.stdout.strip().rsplit(" ", 1)[-1]
        for role in ("agent", "supervisor", "manager", "admin"):
            found = user(f"{role}@demo.test")
            assert found is not None
            assert found.role == role
        with Session(get_engine()) as session:
            new = auth_service.login(
                session,
                email="agent@demo.test",
                password=password,
                actor=auth_service.Actor(type=auth_service.ActorType.USER),
                now=utcnow(),
            )
            assert auth_service.dealer_ids_of(session, user=new.user)

    def test_anonymise_inactive_dry_run_changes_nothing(self) -> None:
        result = CliRunner().invoke(cli, ["anonymise-inactive", "--dry-run", "--years", "1"])

        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {"years": 1, "dry_run": True, "customers": 0}


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from app.settings import Settings

    monkeypatch.setenv("RETENTION_ENVIRONMENT", "production")
    monkeypatch.delenv("RETENTION_SECRET_KEY", raising=False)

    with pytest.raises(ValidationError, match="RETENTION_SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]
