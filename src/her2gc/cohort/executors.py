"""Where partitions are evaluated: here, in local worker processes, or on a Dask cluster.

All three call the same pure :func:`~her2gc.cohort.evaluation.evaluate_partition`, so
their outputs are byte-identical. The knowledge base goes to each worker once: forked
local workers inherit it, Dask workers receive it by one broadcast ``scatter``. Each
worker keeps one :class:`~her2gc.runtime.Runtime` for the whole run, so a model screen by
alteration profile is reused across all the partitions it evaluates; workers on this
machine also share the screens through the user's cache folder (the one the command line
uses), so a profile is screened about once per machine, and not again in a later run. The
model screens run inside the worker (no solver processes), so any Dask worker, daemonic
or not, can run them. At most two partitions per worker are in flight, so memory does
not grow with the cohort. Workers on this machine (local processes, ``--dask local:N``)
write their partition's files into the checkpoint folder themselves and send back only
its counts: the reports (tens of kB each) never travel through a pipe, and the run's
process flushes and commits the folder (the workers never wait for the disk).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from her2gc._gc import settle_worker
from her2gc.cohort.checkpoint import write_partition
from her2gc.cohort.evaluation import PartitionResult, evaluate_partition
from her2gc.cohort.items import ExtraColumn, Partition
from her2gc.engine import EvaluationOptions
from her2gc.errors import InputError
from her2gc.kb.base import KnowledgeBase
from her2gc.runtime import Runtime

IN_FLIGHT_PER_WORKER = 2
# Messages a Dask connection keeps for debugging (see DaskCluster).
DASK_LOG_LENGTH = 32


class Executor(Protocol):
    workers: int
    description: str

    def run(self, partitions: Iterable[Partition]) -> Iterator[PartitionResult]: ...

    def close(self) -> None: ...


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def screens_folder() -> Path | None:
    """Where this machine's workers share model screens: the command line's folder
    (``HER2GC_CACHE_DIR``; ``off`` keeps none)."""
    from her2gc.kb.snapshot import cache_dir

    folder = cache_dir()
    return folder / "model-screens" if folder is not None else None


class InProcess:
    """One worker: this process (small cohorts, or ``--workers 1``)."""

    def __init__(
        self, kb: KnowledgeBase, options: EvaluationOptions, extra: Sequence[ExtraColumn], screens: Path | None
    ) -> None:
        self.kb, self.options, self.extra = kb, options, tuple(extra)
        self.runtime = Runtime(disk_cache=screens)
        self.workers = 1
        self.description = "embedded, 1 process"

    def run(self, partitions: Iterable[Partition]) -> Iterator[PartitionResult]:
        for partition in partitions:
            yield evaluate_partition(partition, self.kb, self.options, self.extra, self.runtime)

    def close(self) -> None:
        return None


# What a forked local worker evaluates with: set by the pool's initializer, inherited at fork.
_worker_state: tuple[KnowledgeBase, EvaluationOptions, tuple[ExtraColumn, ...], Runtime, Path] | None = None


def _initialise(
    kb: KnowledgeBase,
    options: EvaluationOptions,
    extra: tuple[ExtraColumn, ...],
    screens: Path | None,
    checkpoint: Path,
) -> None:
    global _worker_state
    _worker_state = (kb, options, extra, Runtime(disk_cache=screens), checkpoint)
    settle_worker()


def _evaluate_here(partition: Partition) -> PartitionResult:
    assert _worker_state is not None, "worker not initialised"
    kb, options, extra, runtime, checkpoint = _worker_state
    result = evaluate_partition(partition, kb, options, extra, runtime)
    return result.receipt(write_partition(checkpoint, result))


def _evaluate_on_dask(
    partition: Partition,
    kb: KnowledgeBase,
    options: EvaluationOptions,
    extra: tuple[ExtraColumn, ...],
    screens: Path | None,
    checkpoint: Path | None,
) -> PartitionResult:
    """A Dask task: the partition evaluated with the worker's own runtime, made at its first
    task; stored by the worker when it shares this machine's checkpoint folder."""
    import distributed

    worker: Any = distributed.get_worker()
    runtime = getattr(worker, "her2gc_runtime", None)
    if runtime is None:
        runtime = Runtime(disk_cache=screens)
        worker.her2gc_runtime = runtime
        if checkpoint is not None:  # a worker of this run's own local cluster: its process is ours to tune
            settle_worker()
    result = evaluate_partition(partition, kb, options, extra, runtime)
    if checkpoint is None:
        return result
    return result.receipt(write_partition(checkpoint, result))


def _ready() -> int:
    return os.getpid()


# Waits for the next finished futures: their results, and the futures still pending.
FirstCompleted = Callable[[set[Any]], tuple[list[PartitionResult], set[Any]]]


def _first_completed(pending: set[Any]) -> tuple[list[PartitionResult], set[Any]]:
    """concurrent.futures: the finished partitions' results in partition order."""
    done, not_done = wait(pending, return_when=FIRST_COMPLETED)
    return sorted((future.result() for future in done), key=lambda result: result.index), not_done


def _bounded(
    submit: Any,
    partitions: Iterable[Partition],
    limit: int,
    first_completed: FirstCompleted = _first_completed,
) -> Iterator[PartitionResult]:
    """Results as they complete, with at most ``limit`` partitions submitted and not yet done.

    ``first_completed`` waits for the next finished futures (concurrent.futures' or Dask's).
    """
    pending: set[Any] = set()
    source = iter(partitions)
    exhausted = False
    while True:
        while not exhausted and len(pending) < limit:
            partition = next(source, None)
            if partition is None:
                exhausted = True
                break
            pending.add(submit(partition))
        if not pending:
            return
        done, pending = first_completed(pending)
        yield from done


class LocalProcesses:
    """N forked worker processes on this machine (the embedded default)."""

    def __init__(
        self,
        workers: int,
        kb: KnowledgeBase,
        options: EvaluationOptions,
        extra: Sequence[ExtraColumn],
        screens: Path | None,
        checkpoint: Path,
    ) -> None:
        self.workers = workers
        self.description = f"embedded, {workers} processes"
        # Fork: each worker inherits the loaded knowledge base instead of loading or unpickling it.
        context = multiprocessing.get_context("fork")
        self.pool = ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_initialise,
            initargs=(kb, options, tuple(extra), screens, checkpoint),
        )
        # Start every worker now, before this process starts any thread (the progress bar's).
        for future in [self.pool.submit(_ready) for _ in range(workers)]:
            future.result()

    def run(self, partitions: Iterable[Partition]) -> Iterator[PartitionResult]:
        yield from _bounded(
            lambda p: self.pool.submit(_evaluate_here, p), partitions, self.workers * IN_FLIGHT_PER_WORKER
        )

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _worker_facts() -> str:
    import her2gc

    return her2gc.__version__


class DaskCluster:
    """A Dask cluster: ``local:N`` starts a LocalCluster of N worker processes on 127.0.0.1;
    any other value is a scheduler address (``tcp://HOST:PORT``)."""

    def __init__(
        self,
        spec: str,
        kb: KnowledgeBase,
        options: EvaluationOptions,
        extra: Sequence[ExtraColumn],
        checkpoint: Path,
    ) -> None:
        local = spec.startswith("local:")
        # Workers of a local cluster share this machine's cache and checkpoint folders; a
        # remote worker's file system is its own, so it keeps its screens in memory only
        # and sends its partition's files back.
        self.screens = screens_folder() if local else None
        self.checkpoint = checkpoint if local else None
        try:
            import dask
            import distributed
        except ImportError:
            raise InputError("--dask: Dask is not installed (pip install 'her2gc[cohort]')") from None
        if local:
            count = spec.removeprefix("local:")
            if not count.isdigit() or int(count) < 1:
                raise InputError(f"--dask: '{spec}' is not local:N with N a number of workers (e.g. local:2)")
        # Dask keeps the last messages of each connection for debugging (1,000 by default, each
        # under 1 MB): a partition's cases are such a message, so the run's process would keep
        # about 1 MB per partition sent. A short log keeps it bounded; restored by close().
        self._log_length: Any = dask.config.set({"distributed.admin.low-level-log-length": DASK_LOG_LENGTH})
        # distributed is only partly typed: its handles are used as Any.
        client_class: Any = distributed.Client
        cluster_class: Any = distributed.LocalCluster
        self.cluster: Any = None
        self.client: Any = None
        try:
            if local:
                self.cluster = cluster_class(
                    n_workers=int(count), threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
                )
                self.client = client_class(self.cluster)
            else:
                self.client = client_class(spec, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise InputError(
                f"--dask: cannot connect to the scheduler at {spec} ({' '.join(str(exc).split())[:120]})"
            ) from None
        except BaseException:
            self.close()
            raise
        self._check_workers(spec)
        self.workers = len(self.client.scheduler_info()["workers"])
        self.description = f"dask {spec}, {self.workers} workers"
        self.kb_future = self.client.scatter(kb, broadcast=True, hash=False)
        self.options, self.extra = options, tuple(extra)

    def _check_workers(self, spec: str) -> None:
        import her2gc

        try:
            facts: dict[str, str] = self.client.run(_worker_facts)
        except Exception as exc:
            self.close()
            raise InputError(f"--dask {spec}: the workers cannot run her2gc ({type(exc).__name__}: {exc})") from None
        if not facts:
            self.close()
            raise InputError(f"--dask {spec}: the scheduler has no workers")
        for address, version in sorted(facts.items()):
            if version != her2gc.__version__:
                self.close()
                raise InputError(f"--dask {spec}: worker {address} runs her2gc {version}, this is {her2gc.__version__}")

    def run(self, partitions: Iterable[Partition]) -> Iterator[PartitionResult]:
        def submit(partition: Partition) -> Any:
            return self.client.submit(
                _evaluate_on_dask,
                partition,
                self.kb_future,
                self.options,
                self.extra,
                self.screens,
                self.checkpoint,
                pure=False,
                key=f"her2gc-partition-{partition.index}",
            )

        yield from _bounded(submit, partitions, self.workers * IN_FLIGHT_PER_WORKER, _dask_first_completed)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self._log_length.__exit__(None, None, None)


def _dask_first_completed(pending: set[Any]) -> tuple[list[PartitionResult], set[Any]]:
    """Dask: the finished partitions' results; each future is released so that the cluster
    drops its copy."""
    import distributed

    dask_wait: Any = distributed.wait
    done, not_done = dask_wait(list(pending), return_when="FIRST_COMPLETED")
    results = []
    for future in done:
        results.append(future.result())
        future.release()
    return results, set(not_done)


def make_executor(
    dask: str | None,
    workers: int | None,
    kb: KnowledgeBase,
    options: EvaluationOptions,
    extra: Sequence[ExtraColumn],
    partitions: int,
    checkpoint: Path,
) -> Executor:
    """The executor the command line asked for: Dask when ``dask`` is given, else local
    processes. ``checkpoint``: the folder where workers on this machine store partitions."""
    if dask:
        return DaskCluster(dask, kb, options, extra, checkpoint)
    count = min(workers or available_cores(), max(1, partitions))
    screens = screens_folder()
    if count <= 1:
        return InProcess(kb, options, extra, screens)
    return LocalProcesses(count, kb, options, extra, screens, checkpoint)
