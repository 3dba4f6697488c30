"""``her2gc serve`` and ``her2gc audit verify``.

Only typer is imported here: the web stack loads when a command runs, so the rest of
the command line starts as fast as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from her2gc.errors import InputError

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of the service.")
SERVICE_EXTRA = "the service needs its extra: pip install 'her2gc[service]'"


def _require_service_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import jwt  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise InputError(f"{SERVICE_EXTRA} ({exc.name} is missing)") from None


def _check_settings() -> None:
    """Read every setting once in the parent, so a mistake is one line and exit 2 before any worker starts."""
    from her2gc.service.cds_auth import JwksFile
    from her2gc.service.security import TokenStore
    from her2gc.service.settings import load_settings

    settings = load_settings()
    if settings.api_tokens_file is not None:
        TokenStore.from_file(settings.api_tokens_file)
    if settings.cds_jwks_file is not None:
        JwksFile(settings.cds_jwks_file)


def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on (put a TLS reverse proxy in front)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="worker processes (each loads the knowledge base once)", min=1, max=64)
    ] = 1,
    log_level: Annotated[str, typer.Option(help="critical | error | warning | info | debug")] = "info",
) -> None:
    """Serve the HTTP API and the CDS Hooks services (settings from HER2GC_* variables)."""
    _require_service_extra()
    _check_settings()
    import uvicorn

    uvicorn.run(
        "her2gc.service.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=log_config(log_level),
        access_log=False,  # the service writes its own access line, with the patient hash and never the id
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        # Longer than a reverse proxy's upstream keep-alive (often 60 s), so the proxy never
        # sends on a connection the worker is closing.
        timeout_keep_alive=75,
    )


def log_config(level: str) -> dict[str, object]:
    """Logging of every worker: uvicorn's own lines and the service's, one format, on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "her2gc": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
        },
    }


@audit_app.command("verify")
def audit_verify(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="default: HER2GC_DATABASE_URL, else the SQLite trail in the user's data folder"
        ),
    ] = None,
) -> None:
    """Check the audit trail's hash chain and the feedback stored with it; exit 1 when broken."""
    _require_service_extra()
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from her2gc.service.audit import make_engine, verify_chain
    from her2gc.service.settings import load_settings

    url = database_url or load_settings().database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise InputError(f"{url}: no audit database there")
    try:
        engine = make_engine(url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise InputError(f"{_shown(url)}: cannot open ({type(exc).__name__})") from None
    try:
        if not inspect(engine).has_table("her2gc_audit"):
            raise InputError(f"{_shown(url)}: no audit trail in this database")
        result = verify_chain(engine)
    except SQLAlchemyError as exc:
        raise InputError(
            f"{_shown(url)}: cannot read the audit trail ({' '.join(str(getattr(exc, 'orig', None) or exc).split())[:120]})"
        ) from None
    finally:
        engine.dispose()
    if not result.ok:
        typer.echo(f"broken: {result.problem}", err=True)
        typer.echo(f"rows checked {result.rows}; last good row {result.head_seq} ({result.head_hash[:16]})", err=True)
        raise typer.Exit(1)
    typer.echo(f"rows          {result.rows}")
    typer.echo(f"feedback rows {result.feedback_rows}")
    typer.echo(f"head          {result.head_seq} {result.head_hash}")
    typer.echo("ok: the audit trail's hash chain is whole")


def _shown(url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split(":", 1)[0] + ":..."
