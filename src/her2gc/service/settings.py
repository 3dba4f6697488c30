"""The service's settings, read once from the environment at start-up.

Every setting is an environment variable (a hospital's deployment tool sets them); the
names are part of the public contract and listed in ``docs/service.md``. A setting that
cannot be used (an unreadable file, a bad number) stops the start with one line naming
the variable, never a half-configured service.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from her2gc.errors import InputError

REGIONS = ("US", "EU", "CN", "JP")


def data_dir() -> Path:
    """The user's data folder for her2gc (XDG), where the default audit database and secret live."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "her2gc"


@dataclass(frozen=True)
class Settings:
    """What a deployment configures. Paths are read at start-up; nothing here per request."""

    api_tokens_file: Path | None = None
    cds_jwks_file: Path | None = None
    cds_issuers: tuple[str, ...] = ()
    database_url: str = ""
    secret_file: Path | None = None
    public_url: str | None = None
    region: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 5 * 1024 * 1024
    rate_limit_per_minute: int = 600
    jwt_leeway_seconds: int = 30
    jwt_max_lifetime_seconds: int = 3600
    report_link_seconds: int = 12 * 3600
    fhir_timeout_seconds: float = 5.0

    @property
    def audit_secret_path(self) -> Path:
        return self.secret_file or data_dir() / "service-secret"


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise InputError(f"{name}: '{value}' is not a readable file")
    return path


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise InputError(f"{name}: '{value}' is not a whole number") from None
    if number < minimum:
        raise InputError(f"{name}: {number} is below the minimum {minimum}")
    return number


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'audit.sqlite3'}"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (``HER2GC_*``); InputError naming the variable when one is unusable."""
    env = os.environ if env is None else env
    region = env.get("HER2GC_REGION", "").strip().upper() or None
    if region is not None and region not in REGIONS:
        raise InputError(f"HER2GC_REGION: '{region}' is not one of {', '.join(REGIONS)}")
    jwks = _path(env, "HER2GC_CDS_JWKS")
    issuers = _list(env, "HER2GC_CDS_ISSUERS")
    if jwks is not None and not issuers:
        # Keys without an issuer allow-list would accept any iss: refuse rather than guess.
        raise InputError("HER2GC_CDS_ISSUERS: required when HER2GC_CDS_JWKS is set (comma-separated iss values)")
    public_url = env.get("HER2GC_PUBLIC_URL", "").strip().rstrip("/") or None
    if public_url is not None and not public_url.startswith(("https://", "http://")):
        raise InputError(f"HER2GC_PUBLIC_URL: '{public_url}' is not an http(s) URL")
    secret = env.get("HER2GC_SECRET_FILE", "").strip()
    return Settings(
        api_tokens_file=_path(env, "HER2GC_API_TOKENS"),
        cds_jwks_file=jwks,
        cds_issuers=issuers,
        database_url=env.get("HER2GC_DATABASE_URL", "").strip() or default_database_url(),
        secret_file=Path(secret).expanduser() if secret else None,
        public_url=public_url,
        region=region,
        cors_origins=_list(env, "HER2GC_CORS_ORIGINS"),
        max_body_bytes=_int(env, "HER2GC_MAX_BODY_BYTES", Settings.max_body_bytes, 1024),
        rate_limit_per_minute=_int(env, "HER2GC_RATE_LIMIT", Settings.rate_limit_per_minute, 0),
        jwt_leeway_seconds=_int(env, "HER2GC_CDS_LEEWAY", Settings.jwt_leeway_seconds, 0),
        jwt_max_lifetime_seconds=_int(env, "HER2GC_CDS_MAX_TOKEN_LIFETIME", Settings.jwt_max_lifetime_seconds, 1),
        report_link_seconds=_int(env, "HER2GC_REPORT_LINK_SECONDS", Settings.report_link_seconds, 60),
    )
