"""A real ``her2gc serve`` on 127.0.0.1 and a real Chromium driven by Selenium.

The server runs as a subprocess on a free port with its SQLite audit trail and secret in
a temporary folder, and is stopped by its PID. The browser is Debian's ``chromium``
driven by Debian's ``chromedriver`` (``apt-get install -y chromium chromium-driver``),
both given by path so that Selenium Manager never downloads anything. Everything skips
with a message naming what is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from page_helpers import REPO

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("fastapi", reason="the service extra is not installed (pip install 'her2gc[service]')")
    port = _free_port()
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")]),
        HER2GC_DATABASE_URL=f"sqlite:///{folder / 'audit.sqlite3'}",
        HER2GC_SECRET_FILE=str(folder / "secret"),
        HER2GC_RATE_LIMIT="0",
    )
    command = [sys.executable, "-m", "her2gc.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1", "--log-level", "warning"]
    log_path = folder / "server.log"
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"her2gc serve exited with {server.returncode}: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    _stop(server)
    pytest.fail("her2gc serve did not answer /healthz within 90 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real ``her2gc serve`` (one worker) for the whole session."""
    process, base = _start_server(tmp_path_factory.mktemp("page-server"))
    try:
        yield base
    finally:
        _stop(process)


def _chromium() -> str | None:
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium through chromedriver, both Debian's, 1280 px wide."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra)")
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium(), shutil.which("chromedriver")
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    if driver_path is None:
        pytest.skip("chromedriver is not installed (Debian: apt-get install -y chromium-driver)")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never a download
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--window-size=1280,1000",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except WebDriverException as exc:
        pytest.skip(f"chromium did not start under chromedriver: {str(exc).splitlines()[0][:200]}")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests write their full-page screenshots and the printed PDF ($HER2GC_SCREENSHOTS)."""
    folder = Path(os.environ.get("HER2GC_SCREENSHOTS") or REPO / "tests" / "page" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
