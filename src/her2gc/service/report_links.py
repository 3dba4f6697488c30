"""Links from a CDS card to the full report, without storing patient data on the server.

The card's link carries the case itself, compressed and encrypted with a key derived
from the service secret (Fernet: AES-128-CBC with HMAC-SHA256, and a timestamp so that
a link expires after ``HER2GC_REPORT_LINK_SECONDS``). Opening it re-evaluates the case
with the same knowledge base; any instance that shares the secret can serve it. The
link is a bearer capability, like any report URL the EHR shows: it is sent only to the
EHR that made the call.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from her2gc.case import Case

MAX_TOKEN_CHARS = 7000  # beyond this some browsers and proxies cut URLs


@dataclass(frozen=True)
class LinkedCase:
    case: Case
    region: str | None
    kb_sha256: str


class ReportLinks:
    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._ttl = ttl_seconds

    def token_for(self, case: Case, region: str | None, kb_sha256: str) -> str | None:
        """The link token, or None when the case is too large to travel in a URL."""
        payload = {
            "case": case.model_dump(mode="json", by_alias=True, exclude_none=True),
            "region": region,
            "kb": kb_sha256,
        }
        token = self._fernet.encrypt(zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)).decode()
        return token if len(token) <= MAX_TOKEN_CHARS else None

    def open(self, token: str) -> LinkedCase | None:
        """The case behind a token; None when the token is forged, damaged or expired."""
        try:
            payload = json.loads(zlib.decompress(self._fernet.decrypt(token.encode(), ttl=self._ttl)))
            return LinkedCase(
                case=Case.model_validate(payload["case"]),
                region=payload.get("region"),
                kb_sha256=str(payload.get("kb", "")),
            )
        except (InvalidToken, ValueError, KeyError, TypeError, zlib.error):
            return None
