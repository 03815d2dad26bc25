"""HMAC-SHA256 signatures over ``timestamp + "." + body``, both ways (docs/integration.md).

The timestamp is part of the signed text so a captured request cannot be replayed later than
the window; the body is signed as sent, byte for byte.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.strip().encode())
