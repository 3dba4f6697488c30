"""Trusting CDS Clients: the signed JWT on every CDS Hooks call (CDS Hooks 2.0, "Trusting
CDS Clients" and "JWT Signing Algorithm").

A call carries ``Authorization: Bearer <JWT>``. It is accepted only when

- the header's ``alg`` is ES384 or RS384 (the spec's recommended pair; ``none`` and every
  symmetric HS* algorithm are refused by name, whatever the key set holds), ``typ`` is
  ``JWT`` where given, and ``kid`` names a key of the JWKS file of the same family;
- the signature verifies with that key (PyJWT on ``cryptography``);
- ``iss`` is in ``HER2GC_CDS_ISSUERS``; ``aud`` (a string or a list) holds the exact URL
  that was called; ``exp`` and ``iat`` are present and hold within a small leeway, and
  the token lives no longer than ``HER2GC_CDS_MAX_TOKEN_LIFETIME``;
- ``jti`` has not been seen before from that issuer. Seen ``jti`` are kept in the
  database until they expire, so a replay to another worker or instance fails as well.

The ``jku`` header is never fetched: the keys are those the hospital put in the file.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import Engine, delete
from sqlalchemy.engine import Connection

from her2gc.errors import InputError
from her2gc.service.audit import GroupCommit, jti_table

ALGORITHMS = ("ES384", "RS384")
_FAMILY = {"ES384": "EC", "RS384": "RSA"}
MIN_RSA_BITS = 2048
log = logging.getLogger("her2gc.service")


class CdsAuthError(Exception):
    """A CDS Hooks call that is not from a trusted, fresh, correctly addressed client (401)."""


@dataclass(frozen=True)
class TrustedKey:
    kid: str
    algorithm: str
    key: Any


def keys_from_jwks(data: Any, source: str) -> dict[str, TrustedKey]:
    """The signing keys of a JWK Set that may verify CDS Hooks JWTs; others are skipped and counted."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise InputError(f"HER2GC_CDS_JWKS: {source}: not a JWK Set (an object with a 'keys' list)")
    keys: dict[str, TrustedKey] = {}
    skipped: list[str] = []
    for index, jwk in enumerate(data["keys"]):
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        kty = jwk.get("kty") if isinstance(jwk, dict) else None
        if isinstance(jwk, dict) and "d" in jwk:
            # A private key in a trust store is a leak to be fixed at the source, not skipped.
            raise InputError(
                f"HER2GC_CDS_JWKS: {source}: keys[{index}] holds a private key; the file takes the EHR's public keys only"
            )
        algorithm = "ES384" if kty == "EC" and jwk.get("crv") == "P-384" else "RS384" if kty == "RSA" else None
        if (
            not isinstance(kid, str)
            or algorithm is None
            or jwk.get("use", "sig") != "sig"
            or jwk.get("alg", algorithm) != algorithm
        ):
            skipped.append(f"keys[{index}]")
            continue
        try:
            parsed = jwt.PyJWK(jwk, algorithm=algorithm).key
        except (jwt.PyJWKError, ValueError, TypeError) as exc:
            raise InputError(
                f"HER2GC_CDS_JWKS: {source}: keys[{index}] ({kid}): not a usable {algorithm} key ({exc})"
            ) from None
        if algorithm == "RS384" and parsed.key_size < MIN_RSA_BITS:
            skipped.append(f"keys[{index}] (RSA below {MIN_RSA_BITS} bits)")
            continue
        if kid in keys:
            raise InputError(f"HER2GC_CDS_JWKS: {source}: kid '{kid}' appears twice")
        keys[kid] = TrustedKey(kid=kid, algorithm=algorithm, key=parsed)
    if skipped:
        log.warning(
            "HER2GC_CDS_JWKS: %d key(s) skipped (only EC P-384 for ES384 and RSA for RS384 sign CDS Hooks JWTs): %s",
            len(skipped),
            ", ".join(skipped),
        )
    if not keys:
        raise InputError(f"HER2GC_CDS_JWKS: {source}: no ES384 or RS384 signing key in the set")
    return keys


class JwksFile:
    """The JWKS file, re-read when it changes (key rotation without a restart), checked at most every 30 s."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._mtime = os.stat(path).st_mtime_ns
        self._keys = self._read()
        self._checked = clock()

    def _read(self) -> dict[str, TrustedKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"HER2GC_CDS_JWKS: {self.path}: cannot read ({exc})") from None
        return keys_from_jwks(data, str(self.path))

    def keys(self) -> dict[str, TrustedKey]:
        now = self._clock()
        if now - self._checked >= 30:
            with self._lock:
                self._checked = now
                try:
                    mtime = os.stat(self.path).st_mtime_ns
                    if mtime != self._mtime:
                        self._keys, self._mtime = self._read(), mtime
                        log.info("HER2GC_CDS_JWKS: %s re-read (%d keys)", self.path, len(self._keys))
                except (OSError, InputError) as exc:
                    # A half-written file must not lock every EHR out: keep the keys we have.
                    log.error("HER2GC_CDS_JWKS: keeping the previous keys: %s", exc)
        return self._keys


@dataclass(frozen=True)
class UsedJti:
    issuer: str
    jti: str
    expires_at: int


def _insert_new(connection: Connection, items: list[UsedJti]) -> list[bool]:
    """Insert each (issuer, jti) unless present; True for the ones that were new.

    One call per group commit; a jti twice in one batch counts as new only once."""
    from sqlalchemy.dialects import postgresql, sqlite

    results: list[bool] = []
    for item in items:
        values = {"issuer": item.issuer, "jti": item.jti, "expires_at": item.expires_at}
        if connection.dialect.name == "postgresql":
            statement = (
                postgresql.insert(jti_table).values(**values).on_conflict_do_nothing().returning(jti_table.c.jti)
            )
        else:
            statement = sqlite.insert(jti_table).values(**values).on_conflict_do_nothing().returning(jti_table.c.jti)
        # RETURNING gives a row only for an inserted jti (rowcount is not reported by every driver).
        results.append(connection.execute(statement).first() is not None)
    if random.random() < 0.001:  # now and then, forget tokens that have expired anyway
        connection.execute(delete(jti_table).where(jti_table.c.expires_at < int(time.time())))
    return results


class ReplayGuard(GroupCommit[UsedJti, bool]):
    """``jti`` values already used, per issuer, kept in the database until the token expires."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, _insert_new)

    def first_use(self, issuer: str, jti: str, expires_at: int) -> bool:
        return self.submit(UsedJti(issuer, jti, expires_at))


@dataclass(frozen=True)
class CdsClaims:
    issuer: str
    tenant: str | None


class CdsJwtVerifier:
    def __init__(
        self, jwks: JwksFile, issuers: tuple[str, ...], replay: ReplayGuard, *, leeway: int, max_lifetime: int
    ) -> None:
        self.jwks = jwks
        self.issuers = issuers
        self.replay = replay
        self.leeway = leeway
        self.max_lifetime = max_lifetime

    def verify(self, authorization: str | None, audience: str) -> CdsClaims:
        """The verified claims of the call's JWT; CdsAuthError with the reason otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise CdsAuthError("a CDS Hooks call needs 'Authorization: Bearer <JWT>'")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise CdsAuthError("the bearer token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise CdsAuthError(f"JWT algorithm {str(algorithm)[:20]!r} is not accepted (ES384 or RS384 only)")
        if header.get("typ", "JWT") != "JWT":
            raise CdsAuthError("JWT header typ must be 'JWT'")
        trusted = self.jwks.keys().get(str(header.get("kid")))
        if trusted is None:
            raise CdsAuthError("JWT kid does not name a trusted key")
        if trusted.algorithm != algorithm:
            raise CdsAuthError(
                f"JWT algorithm {algorithm} does not match the {_FAMILY[trusted.algorithm]} key it names"
            )
        claims = self._decode(token, trusted, audience)
        if claims["exp"] - claims["iat"] > self.max_lifetime:
            raise CdsAuthError(f"JWT lives longer than {self.max_lifetime} s (exp - iat)")
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise CdsAuthError("JWT jti must be a non-empty string")
        if not self.replay.first_use(claims["iss"], claims["jti"][:255], int(claims["exp"]) + self.leeway):
            raise CdsAuthError("JWT jti was already used (replay)")
        tenant = claims.get("tenant")
        return CdsClaims(issuer=claims["iss"], tenant=tenant if isinstance(tenant, str) else None)

    def _decode(self, token: str, trusted: TrustedKey, audience: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                trusted.key,
                algorithms=[trusted.algorithm],
                audience=audience,
                issuer=list(self.issuers),
                leeway=self.leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_iat": True},
            )
        except jwt.ExpiredSignatureError:
            raise CdsAuthError("JWT expired") from None
        except jwt.ImmatureSignatureError:
            raise CdsAuthError("JWT issued in the future (iat)") from None
        except jwt.InvalidAudienceError:
            raise CdsAuthError(f"JWT aud does not hold the URL called ({audience[:120]})") from None
        except jwt.InvalidIssuerError:
            raise CdsAuthError("JWT iss is not a trusted issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise CdsAuthError(f"JWT lacks the {exc.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise CdsAuthError("JWT signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise CdsAuthError(f"JWT not accepted ({type(exc).__name__})") from None
        if claims["iat"] > time.time() + self.leeway:
            raise CdsAuthError("JWT issued in the future (iat)")
        return claims
