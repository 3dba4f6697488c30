"""The edge of every request: a body size limit, security headers, and one log line.

Pure ASGI (no per-request task or copy of the body), so it costs microseconds. The log
line names the client and, where the request concerned a patient, the salted patient
hash that the endpoint left in the request state; never the patient id, the token or
the body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("her2gc.service.access")

# JSON answers and reports need nothing from anywhere; the HTML report styles itself inline.
CSP_DEFAULT = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body larger than {limit} bytes")


def _with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    added = [header for header in SECURITY_HEADERS if header[0] not in present]
    if b"content-security-policy" not in present:
        added.append((b"content-security-policy", CSP_DEFAULT.encode()))
    if b"cache-control" not in present:
        # Reports and cards carry patient data: no shared or browser cache keeps them.
        added.append((b"cache-control", b"no-store"))
    return [*headers, *added]


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        limit = self.max_body_bytes
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status = 413
            await _send_json(
                send, 413, b'{"detail":[{"loc":["body"],"msg":"request body larger than %d bytes"}]}' % limit
            )
            self._log(scope, status, started)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _with_security_headers(list(message.get("headers", [])))
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        finally:
            self._log(scope, status or 500, started)

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        state = scope.get("state") or {}
        client = state.get("client_id", "-")
        patient = state.get("patient_hash") or "-"
        audit = state.get("audit_seq")
        access_log.info(
            "%s %s %d %.1fms client=%s patient=%s%s",
            scope.get("method", "-"),
            scope.get("path", "-"),
            status,
            (time.perf_counter() - started) * 1000,
            client,
            patient[:16],
            f" audit={audit}" if audit is not None else "",
        )


async def _send_json(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": _with_security_headers(headers)})
    await send({"type": "http.response.body", "body": body})
