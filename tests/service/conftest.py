"""Fixtures of the service tests: an app on a temporary database, trusted EHR keys, signed calls."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed (pip install 'her2gc[service]')")
pytest.importorskip("jwt", reason="the service extra is not installed (pip install 'her2gc[service]')")

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from service_helpers import ISSUER

from her2gc.service.main import create_app
from her2gc.service.settings import Settings, load_settings


@pytest.fixture(scope="session")
def ehr_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An EC P-384 and an RSA key of a trusted EHR, their JWKS file, and a key nobody trusts."""
    ec_key = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = ec.generate_private_key(ec.SECP384R1())
    keys = []
    for kid, key, alg in (("ehr-ec", ec_key, "ES384"), ("ehr-rsa", rsa_key, "RS384")):
        jwk = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key()))
        keys.append(jwk | {"kid": kid, "use": "sig", "alg": alg})
    path = tmp_path_factory.mktemp("jwks") / "ehr.jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    return {"ec": ec_key, "rsa": rsa_key, "stranger": stranger, "jwks": path}


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return replace(
        load_settings({}), database_url=f"sqlite:///{tmp_path / 'audit.sqlite3'}", secret_file=tmp_path / "secret"
    )


@pytest.fixture()
def make_client(settings: Settings) -> Callable[..., Any]:
    """``with make_client(**setting_changes) as client:`` a TestClient on a fresh app."""

    @contextmanager
    def factory(app_kwargs: dict[str, Any] | None = None, **changes: Any) -> Iterator[TestClient]:
        app = create_app(replace(settings, **changes), **(app_kwargs or {}))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client

    return factory


@pytest.fixture()
def client(make_client: Callable[..., Any]) -> Iterator[TestClient]:
    with make_client() as test_client:
        yield test_client


@pytest.fixture()
def cds_client(make_client: Callable[..., Any], ehr_keys: dict[str, Any]) -> Iterator[TestClient]:
    """A client of a service that trusts the EHR's keys and issuer."""
    with make_client(cds_jwks_file=ehr_keys["jwks"], cds_issuers=(ISSUER,)) as test_client:
        yield test_client


def _postgres_bin(name: str) -> str | None:
    import glob
    import shutil

    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL on 127.0.0.1 in a temporary data folder, run as its own user, stopped by PID."""
    import os
    import pwd
    import signal
    import subprocess
    import time

    pytest.importorskip("psycopg", reason="psycopg is not installed (the service extra)")
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install -y postgresql)")
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        prefix = ["runuser", "-u", "postgres", "--"]
    import shutil
    import tempfile

    # Directly under /tmp: pytest's own temporary folders are closed to other users.
    root = Path(tempfile.mkdtemp(prefix="her2gc-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if owner is not None:
        for path in (root, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    run = subprocess.run(
        [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "her2gc", "--no-sync", "-E", "UTF8"],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        pytest.skip(f"initdb failed: {run.stderr.strip()[:200]}")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off -c max_connections=100"
    run = subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60", "start"],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        pytest.skip(f"PostgreSQL did not start: {run.stderr.strip()[:200]}")
    pid = int((data / "postmaster.pid").read_text().split()[0])
    try:
        import psycopg

        with psycopg.connect(f"postgresql://her2gc@127.0.0.1:{port}/postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE her2gc_test")
        yield f"postgresql://her2gc@127.0.0.1:{port}/her2gc_test"
    finally:
        os.kill(pid, signal.SIGINT)  # fast shutdown of the postmaster we started
        for _ in range(200):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)
