"""API tokens, the service secret, and the rate limit per client.

Tokens are kept only as SHA-256 digests and every presented token is compared with
all of them in constant time (``hmac.compare_digest``), so neither the memory of a
worker nor the timing of a refusal gives a token away. The secret keys the salted
patient hash of the audit trail and the report links; several instances that share a
database must share the secret file too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from her2gc.errors import InputError

MIN_TOKEN_CHARS = 16


@dataclass(frozen=True)
class Client:
    """Who made a request, as the audit trail and the logs name it (never the token itself)."""

    id: str
    kind: str  # "token" | "cds" | "anonymous"


def token_id(digest: bytes) -> str:
    """A short public name for a token: the first 12 hex digits of its SHA-256."""
    return "token:" + digest.hex()[:12]


class TokenStore:
    """The API tokens of ``HER2GC_API_TOKENS``: one per line, ``#`` comments and blank lines ignored."""

    def __init__(self, digests: tuple[bytes, ...]) -> None:
        self._digests = digests

    @classmethod
    def from_file(cls, path: Path) -> TokenStore:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"HER2GC_API_TOKENS: {path}: cannot read ({exc})") from None
        digests: list[bytes] = []
        for number, line in enumerate(lines, start=1):
            token = line.strip()
            if not token or token.startswith("#"):
                continue
            if len(token) < MIN_TOKEN_CHARS or any(ch.isspace() for ch in token):
                raise InputError(
                    f"HER2GC_API_TOKENS: {path} line {number}: a token is at least {MIN_TOKEN_CHARS} characters without spaces"
                )
            digests.append(hashlib.sha256(token.encode()).digest())
        if not digests:
            raise InputError(f"HER2GC_API_TOKENS: {path}: no tokens in the file")
        return cls(tuple(digests))

    def __len__(self) -> int:
        return len(self._digests)

    def match(self, presented: str) -> Client | None:
        """The client a presented token belongs to, or None. Compares with every stored digest."""
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        found: bytes | None = None
        for stored in self._digests:
            if hmac.compare_digest(stored, digest):
                found = stored
        return Client(id=token_id(found), kind="token") if found is not None else None


def load_secret(path: Path) -> bytes:
    """The service secret (32 random bytes), created with mode 0600 on first start.

    Two workers starting at once both arrive at the same file: the creation is exclusive
    and the loser reads what the winner wrote.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
            handle.flush()
            os.fsync(handle.fileno())
    for _ in range(50):
        data = path.read_bytes()
        if len(data) >= 32:
            return data
        time.sleep(0.01)  # the other worker is still writing it
    raise InputError(f"HER2GC_SECRET_FILE: {path}: shorter than 32 bytes")


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A separate key per purpose, so the patient hash and the report links never share one."""
    return hmac.new(secret, b"her2gc/" + purpose.encode(), hashlib.sha256).digest()


def patient_hash(key: bytes, patient_id: str) -> str:
    """The salted hash of a patient id that the audit trail and the logs carry instead of the id."""
    return hmac.new(key, patient_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


class RateLimiter:
    """A token bucket per client: ``per_minute`` requests a minute, bursts up to the same number.

    Kept in the worker's memory: with W workers behind a proxy a client gets at most W
    times the limit, so a deployment sets the limit per worker (docs/service.md).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._capacity > 0

    def allow(self, key: str) -> float | None:
        """None when the request may go ahead, else the seconds to wait before the next one."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - last) * self._rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self._rate
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 100_000:
                self._forget_full(now)
            return None

    def _forget_full(self, now: float) -> None:
        # Buckets that have refilled carry no state worth keeping; drop them to bound memory.
        full = [
            key for key, (tokens, last) in self._buckets.items() if tokens + (now - last) * self._rate >= self._capacity
        ]
        for key in full:
            del self._buckets[key]
