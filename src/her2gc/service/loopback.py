"""``her2gc serve`` on 127.0.0.1 as a child process, stopped by its process id.

For the tests and benchmarks that need a real server (the page in a browser, a kill -9 in
the middle of a load, the load itself), and for trying the service on one's own machine:
the server gets a free port, its own process group (a supervisor and its workers are
stopped together) and a log file, and is ready once ``/healthz`` has answered.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer ``/healthz`` in time; the message ends with its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LoopbackServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM to the server's process group, SIGKILL if it has not ended within ``timeout_s``."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL to the server's process group (a crash, as the restart test makes one)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.process.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def start(
    folder: Path,
    environment: Mapping[str, str],
    *,
    port: int | None = None,
    workers: int = 1,
    healthy_answers: int = 1,
    timeout_s: float = 90.0,
    source: Path | None = None,
) -> LoopbackServer:
    """Start ``python -m her2gc.cli serve`` on 127.0.0.1, the current environment updated with
    ``environment`` (the service's settings), and wait until ``/healthz`` has answered
    ``healthy_answers`` times (more than once where several workers must be up).

    ``source``: a ``src`` folder to put first on the child's ``PYTHONPATH`` (a checkout
    being tested). The log is ``folder/server-PORT.log``.
    """
    chosen = port if port is not None else free_port()
    env = {**os.environ, **environment}
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "her2gc.cli", "serve", "--host", "127.0.0.1", "--port", str(chosen)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    log = folder / f"server-{chosen}.log"
    with open(log, "ab") as handle:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=handle, start_new_session=True)
    server = LoopbackServer(process, chosen, log)
    deadline = time.monotonic() + timeout_s
    answers = 0
    while answers < healthy_answers:
        if process.poll() is not None:
            raise ServerDidNotStart(f"her2gc serve exited with {process.returncode}: {_tail(log)}")
        if time.monotonic() > deadline:
            server.kill()
            raise ServerDidNotStart(f"her2gc serve did not answer /healthz within {timeout_s:g} s: {_tail(log)}")
        if _healthy(f"{server.base_url}/healthz"):
            answers += 1
        else:
            time.sleep(0.2)
    return server


def _tail(log: Path) -> str:
    try:
        return log.read_text(encoding="utf-8", errors="replace")[-2000:]
    except OSError:
        return "(no log)"
