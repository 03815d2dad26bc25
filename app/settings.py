"""Deployment settings, read from the environment (prefix ``RETENTION_``) or ``.env``.

Only deployment facts live here. Business rules (intervals, lead days, holdout share...) are
dealer data in the database, overridable per dealer through the dataset's ``settings`` object.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "retention.sqlite3"
PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETENTION_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH.as_posix()}",
        description="SQLAlchemy URL; PostgreSQL: postgresql+psycopg://user@host/db",
    )
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    # Pool sizing for PostgreSQL; SQLite uses one connection per thread.
    db_pool_size: int = 10
    db_max_overflow: int = 20
    # Operations (docs/operations.md): a connect that hangs (a firewalled or failed-over host)
    # fails after this many seconds, so /readyz and requests answer 503 instead of hanging;
    # pooled connections are replaced after pool_recycle seconds and checked before each use.
    db_connect_timeout_seconds: int = Field(default=5, gt=0)
    db_pool_recycle_seconds: int = Field(default=1800, gt=0)
    sqlite_busy_timeout_ms: int = 10_000
    # Threads per server process that run the sync endpoints and dependencies (anyio's default,
    # 40). Fewer threads mean less GIL contention but idle CPU while they all wait on the
    # database: on the 2-core bench 8 gave fewer claims/s than 40 (docs/benchmarks.md).
    threadpool_tokens: int = Field(default=40, gt=0)
    max_request_bytes: int = 64 * 1024 * 1024
    log_level: str = "INFO"
    # "json" (one object per line) or "console"; default: console in development, else json.
    log_format: Literal["json", "console"] | None = None
    # Who may read /metrics: callers sending "Authorization: Bearer <metrics_token>"; without
    # a token, only clients on the loopback interface (docs/operations.md).
    metrics_token: SecretStr | None = None
    # Security (docs/security.md).
    session_idle_minutes: int = Field(default=30, gt=0)
    session_absolute_hours: int = Field(default=12, gt=0)
    login_limit_per_account: int = Field(default=5, gt=0, description="failed or not, per minute")
    login_limit_per_address: int = Field(default=20, gt=0, description="per client address/min")
    import_limit_per_minute: int = Field(default=30, gt=0, description="per user or API key")
    # Extra origins allowed to send unsafe requests with the session cookie (the app's own origin
    # always is), e.g. ["https://retention.example.com"] behind a proxy that rewrites Host.
    trusted_origins: list[str] = Field(default_factory=list)
    inactive_customer_years: int = Field(default=6, gt=0)
    # Embedded mode: `retention serve` also runs the scheduler (the nightly run at 02:00 in each
    # dealer's time zone). Turn it off when the scheduler runs as its own process.
    embedded_scheduler: bool = True
    # The scheduler process (`retention scheduler`, docs/operations.md). On PostgreSQL it runs
    # jobs only while it holds an advisory lock; a standby tries to take it (and the leader checks
    # its lock connection) every scheduler_poll_seconds.
    scheduler_poll_seconds: float = Field(default=5.0, gt=0)
    # A job run in progress writes a heartbeat this often; a run whose heartbeat is older than
    # job_stale_seconds belongs to a dead process and is taken over (job_run).
    job_heartbeat_seconds: float = Field(default=10.0, gt=0)
    job_stale_seconds: float = Field(default=60.0, gt=0)
    # How often the scheduler looks for a daily run of today that has not succeeded yet (missed
    # while no scheduler ran, failed, or interrupted) and runs it.
    scheduler_catch_up_seconds: float = Field(default=300.0, gt=0)
    # Finished job runs older than this are deleted (the daily prune job).
    job_run_keep_days: int = Field(default=30, gt=0)
    # Port of the scheduler process's own Prometheus endpoint (0: none).
    scheduler_metrics_port: int = Field(default=0, ge=0, le=65535)
    # Vehicles per chunk of the nightly run (each chunk is committed with the run's progress).
    nightly_chunk_vehicles: int = Field(default=5000, gt=0)

    @field_validator("metrics_token", mode="after")
    @classmethod
    def _empty_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty RETENTION_METRICS_TOKEN (a compose default) must not admit "Bearer ".
        return value if value is not None and value.get_secret_value().strip() else None

    # DMS integration (docs/integration.md). Outbound calls (booking webhooks, the pull
    # connector) may reach only public addresses over https, plus these networks (CIDR, e.g.
    # ["10.20.0.0/16"]), which may also be reached over plain http.
    dms_outbound_allow_networks: list[str] = Field(default_factory=list)
    dms_webhook_window_seconds: int = Field(default=300, gt=0)
    dms_http_timeout_seconds: float = Field(default=10.0, gt=0)
    # Bulk JSON endpoints (POST /api/v1/import, the STAR adapter): per request.
    bulk_max_records: int = Field(default=5000, gt=0)
    bulk_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key.get_secret_value() == PLACEHOLDER_SECRET
            or len(self.secret_key.get_secret_value()) < 32
        ):
            raise ValueError(
                "RETENTION_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production; generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies are ``Secure`` (and HSTS is sent) everywhere but on a developer's loopback."""
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
