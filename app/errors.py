"""One error hierarchy for the application; one handler renders it.

Services raise these, never ``HTTPException``. 422 is reserved for payload validation.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status_code = 500

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        extra: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra
        self.headers = headers


class BadRequest(AppError):
    status_code = 400


class Unauthenticated(AppError):
    """No valid credentials (401); says nothing about which part was wrong."""

    status_code = 401


class NotFound(AppError):
    status_code = 404


class Conflict(AppError):
    status_code = 409


class PermissionDenied(AppError):
    status_code = 403


class TooManyRequests(AppError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = max(1, retry_after)


class PayloadTooLarge(AppError):
    status_code = 413


class ServiceUnavailable(AppError):
    status_code = 503


class ValidationFailed(AppError):
    """A document or payload was rejected; ``errors`` lists every problem found."""

    status_code = 422

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message, extra=errors)
        self.errors = errors
