"""Serve the app with uvicorn on a free loopback port, in a child process (browser tests and
the screenshot script)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(database_url: str, *, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Yield the base URL of ``app.main:app`` serving ``database_url``; stop it afterwards."""
    port = free_port()
    environment = {
        **os.environ,
        "RETENTION_DATABASE_URL": database_url,
        "RETENTION_LOGIN_LIMIT_PER_ACCOUNT": "1000",
        "RETENTION_LOGIN_LIMIT_PER_ADDRESS": "1000",
        **(env or {}),
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"], env=environment
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /healthz within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
