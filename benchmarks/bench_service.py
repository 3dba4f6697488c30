"""Load benchmark of `her2gc serve` on loopback: POST /v1/evaluate and the CDS patient-view hook.

For each worker count, a real server is started on 127.0.0.1 (a free port) with a
temporary SQLite audit trail, API tokens and a trusted EHR key, exactly as deployed;
then an httpx asyncio client keeps CONCURRENCY requests in flight until REQUESTS have
been answered or MAX_SECONDS have passed (whichever comes first; both bounded).

- ``/v1/evaluate``: the README's example case with a different patient id per request,
  report JSON accepted, API token sent (the model section is cached per alteration
  profile, as in any long-running worker).
- ``/cds-services/her2gc-patient-view``: the same case as ``prefetch.her2gcCase``, each
  call with its own ES384 JWT (signed before the clock starts) and a fresh hookInstance.

Every request is an evaluation written to the audit trail before the answer. The client
runs on the same machine as the server, so it takes CPU from it. Prints p50 (median),
p90, p99, max, requests per second, errors, and the CPU time per request of the server
(all its processes) and of the client; then which worker count served best.

    python benchmarks/bench_service.py                      # workers 1 and 2
    python benchmarks/bench_service.py --workers 2 --requests 3000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import yaml
from cryptography.hazmat.primitives.asymmetric import ec

from her2gc.service.loopback import LoopbackServer, ServerDidNotStart, start

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "her2_positive_second_line.yaml"
TOKEN = "bench-token-0123456789abcdef"
ISSUER = "https://ehr.bench.example"


@dataclass
class Result:
    name: str
    workers: int
    latencies_ms: list[float]
    errors: int
    seconds: float
    server_cpu_s: float
    client_cpu_s: float

    def row(self) -> str:
        lat = sorted(self.latencies_ms)
        n = len(lat)

        def pct(p: float) -> float:
            return lat[min(n - 1, round(p / 100 * (n - 1)))] if n else float("nan")

        rps = n / self.seconds if self.seconds else 0.0
        median = statistics.median(lat) if lat else float("nan")
        total = n + self.errors
        cpu = f"{self.server_cpu_s / total * 1000:>9.2f} {self.client_cpu_s / total * 1000:>9.2f}" if total else ""
        return f"{self.name:<26} {self.workers:>7} {n:>6} {self.errors:>6} {rps:>8.1f} {median:>8.1f} {pct(90):>8.1f} {pct(99):>8.1f} {max(lat) if lat else float('nan'):>8.1f} {cpu}"


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def write_keys(folder: Path) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA384).to_jwk(key.public_key()))
    (folder / "jwks.json").write_text(json.dumps({"keys": [jwk | {"kid": "bench", "use": "sig", "alg": "ES384"}]}))
    (folder / "tokens").write_text(TOKEN + "\n")
    return key


def start_server(folder: Path, workers: int) -> LoopbackServer:
    """A real ``her2gc serve`` with ``workers`` workers, ready once each has had time to answer."""
    settings = {
        "HER2GC_DATABASE_URL": f"sqlite:///{folder / f'audit-{workers}.sqlite3'}",
        "HER2GC_SECRET_FILE": str(folder / "secret"),
        "HER2GC_API_TOKENS": str(folder / "tokens"),
        "HER2GC_CDS_JWKS": str(folder / "jwks.json"),
        "HER2GC_CDS_ISSUERS": ISSUER,
        "HER2GC_RATE_LIMIT": "0",  # one client sends everything: the per-token limit would measure itself
    }
    try:
        return start(folder, settings, workers=workers, healthy_answers=workers * 3, timeout_s=120, source=REPO / "src")
    except ServerDidNotStart as problem:
        raise SystemExit(str(problem)) from None


async def run_load(
    requests: list[tuple[str, bytes, dict[str, str]]], base: str, concurrency: int, max_seconds: float
) -> tuple[list[float], int, float]:
    """CONCURRENCY keep-alive connections, each with its own client (one shared pool of 100
    connections costs httpx several times the CPU per request), pulling from one queue."""
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    next_index = 0
    connected = 0
    go = asyncio.Event()
    started = 0.0

    async def worker() -> None:
        nonlocal next_index, errors, connected, started
        async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=1), timeout=30) as client:
            # Open the connection before the clock starts: the run measures a steady state.
            await client.get("/healthz")
            connected += 1
            if connected == concurrency:
                started = time.perf_counter()
                go.set()
            await go.wait()
            while next_index < len(requests) and time.perf_counter() - started < max_seconds:
                path, body, headers = requests[next_index]
                next_index += 1
                t0 = time.perf_counter()
                try:
                    response = await client.post(path, content=body, headers=headers)
                    ok, kind = response.status_code == 200, str(response.status_code)
                except httpx.HTTPError as exc:
                    ok, kind = False, type(exc).__name__
                if ok:
                    latencies.append((time.perf_counter() - t0) * 1000)
                else:
                    errors += 1
                    kinds[kind] = kinds.get(kind, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    if kinds:
        print(f"errors: {kinds}", file=sys.stderr)
    return latencies, errors, elapsed


def evaluate_requests(case: dict[str, object], count: int) -> list[tuple[str, bytes, dict[str, str]]]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", "Accept": "application/json"}
    return [("/v1/evaluate", json.dumps(case | {"patient_id": f"BENCH-{i}"}).encode(), headers) for i in range(count)]


def cds_requests(
    case: dict[str, object], count: int, key: ec.EllipticCurvePrivateKey, base: str
) -> list[tuple[str, bytes, dict[str, str]]]:
    path = "/cds-services/her2gc-patient-view"
    now = int(time.time())
    out = []
    for i in range(count):
        token = jwt.encode(
            {"iss": ISSUER, "aud": base + path, "iat": now, "exp": now + 600, "jti": str(uuid.uuid4())},
            key,
            algorithm="ES384",
            headers={"kid": "bench", "typ": "JWT"},
        )
        call = {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/bench", "patientId": f"fhir-{i}"},
            "prefetch": {"her2gcCase": case | {"patient_id": f"BENCH-{i}"}},
        }
        out.append(
            (path, json.dumps(call).encode(), {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (comma-separated)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint and worker count")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="stop an endpoint's run after this long")
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    case = json.loads(json.dumps(yaml.safe_load(EXAMPLE.read_text()), default=str))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="her2gc-bench-") as tmp:
        folder = Path(tmp)
        key = write_keys(folder)
        for workers in [int(w) for w in args.workers.split(",")]:
            server = start_server(folder, workers)
            base = server.base_url
            try:
                asyncio.run(run_load(evaluate_requests(case, args.warmup), base, min(args.concurrency, 20), 60))
                asyncio.run(run_load(cds_requests(case, args.warmup, key, base), base, min(args.concurrency, 20), 60))
                for name, batch in (
                    ("POST /v1/evaluate", evaluate_requests(case, args.requests)),
                    ("CDS patient-view", cds_requests(case, args.requests, key, base)),
                ):
                    server_before, client_before = process_tree_cpu(server.process.pid), time.process_time()
                    latencies, errors, seconds = asyncio.run(run_load(batch, base, args.concurrency, args.max_seconds))
                    server_cpu, client_cpu = (
                        process_tree_cpu(server.process.pid) - server_before,
                        time.process_time() - client_before,
                    )
                    results.append(Result(name, workers, latencies, errors, seconds, server_cpu, client_cpu))
            finally:
                server.stop(timeout_s=30)
                log = server.log.read_text(errors="replace")
                if "ERROR" in log or "Traceback" in log:
                    print(f"workers {workers}: the server logged errors:\n{log[-12000:]}", file=sys.stderr)
            verify = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "her2gc.cli",
                    "audit",
                    "verify",
                    "--database-url",
                    f"sqlite:///{folder / f'audit-{workers}.sqlite3'}",
                ],
                capture_output=True,
                text=True,
                env=dict(os.environ, PYTHONPATH=str(REPO / "src")),
                check=False,
            )
            print(
                f"workers {workers}: audit verify exit {verify.returncode}: {verify.stdout.split(chr(10))[0]}",
                file=sys.stderr,
            )
    print(
        f"concurrency {args.concurrency}, loopback, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; latency in ms; CPU ms per request"
    )
    print(
        f"{'endpoint':<26} {'workers':>7} {'ok':>6} {'errors':>6} {'req/s':>8} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'server':>9} {'client':>9}"
    )
    for result in results:
        print(result.row())
    for name in sorted({r.name for r in results}):
        rows = [r for r in results if r.name == name and r.latencies_ms]
        if rows:
            best = max(rows, key=lambda r: len(r.latencies_ms) / r.seconds)
            print(f"best for {name}: --workers {best.workers}")


if __name__ == "__main__":
    main()
