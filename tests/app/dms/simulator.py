"""A small REST DMS served over real HTTP on loopback, for the pull connector's tests.

It pages its records by ``updated_at`` (ascending) and can be told to fail: answer 429 with a
Retry-After, or 500 from the n-th request of a path on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "simulator-token"


@dataclass(slots=True)
class Simulator:
    url: str = ""
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # path -> number of requests to that path answered before it starts failing with 500
    fail_from: dict[str, int] = field(default_factory=dict)
    # path -> seconds of Retry-After on the first request (a 429 once)
    rate_limit_once: dict[str, int] = field(default_factory=dict)
    served: dict[str, int] = field(default_factory=dict)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        self.requests.append((path, query))
        name = path.strip("/")
        if name in self.rate_limit_once:
            return 429, {"Retry-After": str(self.rate_limit_once.pop(name))}, {"error": "slow"}
        done = self.served.get(name, 0)
        if name in self.fail_from and done >= self.fail_from[name]:
            return 500, {}, {"error": "boom"}
        self.served[name] = done + 1
        items = sorted(self.records.get(name, []), key=lambda r: r["updated_at"])
        if "updated_since" in query:
            since = datetime.fromisoformat(query["updated_since"])
            items = [r for r in items if datetime.fromisoformat(r["updated_at"]) >= since]
        start = int(query.get("page_token", "0"))
        limit = int(query.get("limit", "100"))
        page = items[start : start + limit]
        more = start + limit < len(items)
        return 200, {}, {"items": page, "next_page_token": str(start + limit) if more else None}


@contextmanager
def dms_simulator(records: dict[str, list[dict[str, Any]]]) -> Iterator[Simulator]:
    sim = Simulator(records=records)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, headers, body = 401, {}, {"error": "token"}
            else:
                status, headers, body = sim.answer(parts.path, query)
            data = json.dumps(body).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sim.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield sim
    finally:
        server.shutdown()
        server.server_close()
