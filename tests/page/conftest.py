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
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from page_helpers import REPO

if TYPE_CHECKING:
    from her2gc.service.loopback import LoopbackServer

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def _start_server(folder: Path) -> LoopbackServer:
    pytest.importorskip("httpx")
    pytest.importorskip("fastapi", reason="the service extra is not installed (pip install 'her2gc[service]')")
    from support import loopback_server

    return loopback_server(folder)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real ``her2gc serve`` (one worker) for the whole session."""
    server = _start_server(tmp_path_factory.mktemp("page-server"))
    try:
        yield server.base_url
    finally:
        server.stop()


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
