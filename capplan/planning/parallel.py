"""Run one function over many inputs: serially, on this machine's cores, or on a dask cluster.

Plan Monte Carlo draws, sensitivity runs and sweep chunks are independent, so they can be spread out;
what must not change is the answer. :func:`run_map` (and its streaming form :func:`iter_map`) returns
``[fn(x) for x in items]`` exactly, in input order, whichever way it runs:

* ``workers=1`` and no ``cluster``: a plain loop in this process.
* ``workers=N``: a local process pool (``concurrent.futures`` with the "forkserver" start method where
  the platform has it, else "spawn"), items sent in chunks. Never "fork": forking a process that
  holds threads (BLAS, the CLI's progress bar, a dask client) can deadlock, and it would hide a
  function that cannot be sent to another machine.
* ``cluster="tcp://host:8786"``: a running dask.distributed scheduler (the optional ``cluster`` extra,
  imported only here), or a ``distributed.Client`` the caller already holds (a notebook; it is left
  open). Its workers need the same capplan version and the same data (a calibration
  file, a ``CAPPLAN_PATH`` catalogue) at the same paths as this machine.

``fn`` must be a module-level function (or a ``functools.partial`` of one) and ``items`` picklable
values: both are pickled to reach another process. Nothing random happens here, so a run's answer
depends only on ``fn`` and ``items``.

Errors behave as in the loop: the first item (in input order) that raises decides the exception, and
a :class:`~capplan.errors.UserError` raised in a worker arrives as the same UserError. A function
whose answer depends on wall-clock time (a MILP stopped by its time limit) can differ between runs
however it is run; the byte-identical guarantee is for answers that do not.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from capplan.errors import UserError

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
R = TypeVar("R")

#: How long a ``cluster`` address has to answer (and to show at least one worker) before we give up.
CONNECT_TIMEOUT_S = 5.0
#: Chunks per worker when the number of items is known: enough to even out slow items, few enough
#: that pickling ``fn`` once per chunk stays negligible.
CHUNKS_PER_WORKER = 4
#: Chunks submitted ahead of the one being consumed, per worker: keeps every worker busy while a
#: streaming consumer holds only a bounded number of results in memory.
AHEAD_PER_WORKER = 2


def available_cores() -> int:
    """The cores this process may run on (the affinity mask where the OS has one: containers and
    ``taskset`` restrict it below ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def run_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int = 1, cluster: str | Client | None = None, chunksize: int | None = None) -> list[R]:
    """``[fn(x) for x in items]``, run serially, on ``workers`` local processes, or on the dask
    scheduler at ``cluster``; see the module docstring for what ``fn`` and ``items`` must be."""
    return list(iter_map(fn, items, workers=workers, cluster=cluster, chunksize=chunksize))


def iter_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int = 1, cluster: str | Client | None = None, chunksize: int | None = None) -> Iterator[R]:
    """:func:`run_map` as an iterator: results in input order as they become ready, with a bounded
    number in flight, so a streaming writer over a lazy ``items`` keeps flat memory.

    Arguments are checked, and a ``cluster`` connected to, before this returns: a bad option fails
    before the caller writes anything."""
    n_workers = _check_workers(workers)
    if cluster is not None and n_workers > 1:
        raise UserError("workers", workers, "give either a number of local workers or a cluster address, not both")
    if chunksize is not None and (isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1):
        raise UserError("chunksize", chunksize, "a whole number of items per task, 1 or more")
    _check_picklable(fn)
    if cluster is not None:
        client, owned = _connect(cluster)
        slots = max(1, sum(client.nthreads().values()))
        return _run_remote(_DaskPool(client, owned), fn, items, slots, chunksize)
    n_workers = min(n_workers, available_cores())
    if n_workers == 1 or _in_worker:
        return _run_serial(fn, items)
    return _run_remote(_LocalPool(n_workers), fn, items, n_workers, chunksize)


def _check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UserError("workers", workers, f"a whole number of worker processes, 1 or more (1 runs serially; this machine has {available_cores()} cores)")
    return workers


def _check_picklable(fn: Any) -> None:
    """A lambda or closure works in a loop but cannot reach another process; refusing it everywhere
    means a serial test catches what would break a parallel run."""
    try:
        pickle.dumps(fn)
    except Exception as exc:  # pickle raises PicklingError, AttributeError or TypeError depending on the object
        raise TypeError(f"run_map needs a module-level function (or a functools.partial of one) that pickles; {fn!r} does not: {exc}") from None


def _run_serial(fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    for x in items:
        yield fn(x)


@dataclass(frozen=True)
class _Refused:
    """A UserError raised in a worker, carried as its fields: UserError's constructor takes three
    arguments but an exception pickles as its one message, so it cannot cross a process boundary."""

    source: str
    value: Any
    allowed: str

    def error(self) -> UserError:
        return UserError(self.source, self.value, self.allowed)


#: True in a process that runs chunks for a pool or cluster: a run_map nested in ``fn`` (a sensitivity
#: factor that runs a Monte Carlo plan) then loops, instead of starting N pools of N processes each.
_in_worker = False


def _run_chunk(fn: Callable[[T], R], chunk: list[T]) -> list[R | _Refused]:
    """Runs in the worker. Stops at the chunk's first UserError, as the loop would."""
    global _in_worker
    _in_worker = True
    out: list[R | _Refused] = []
    for x in chunk:
        try:
            out.append(fn(x))
        except UserError as exc:
            value = exc.value
            try:
                pickle.dumps(value)
            except Exception:  # the message only needs its text
                value = str(value)
            out.append(_Refused(exc.source, value, exc.allowed))
            break
    return out


class _Pool(Protocol):
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...
    def result(self, task: Any) -> Any: ...
    def close(self, pending: list[Any]) -> None: ...


class _LocalPool:
    def __init__(self, workers: int) -> None:
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self.workers = workers
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self.executor.submit(fn, *args)

    def result(self, task: Future[Any]) -> Any:
        try:
            return task.result()
        except BrokenProcessPool:
            # Most often the kernel's out-of-memory killer: N workers hold N copies of a large run.
            raise UserError("workers", self.workers, "fewer worker processes: one was killed (out of memory?); 1 runs in this process") from None

    def close(self, pending: list[Any]) -> None:
        # Chunks already running finish (a process cannot be stopped mid-solve safely); queued ones are dropped.
        self.executor.shutdown(wait=True, cancel_futures=True)


class _DaskPool:
    def __init__(self, client: Any, owned: bool) -> None:
        self.client, self.owned = client, owned

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        # pure=False: each chunk is its own task even if two hold equal items (no hashing of the items).
        return self.client.submit(fn, *args, pure=False)

    def result(self, task: Any) -> Any:
        from distributed import KilledWorker

        try:
            return task.result()
        except KilledWorker:  # dask already retried the chunk on other workers
            raise UserError("cluster", "(a task)", "workers that stay up: workers died running the same chunk (out of memory?)") from None

    def close(self, pending: list[Any]) -> None:
        if pending:
            self.client.cancel(pending)
        if self.owned:
            self.client.close()


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for x in items:
        chunk.append(x)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _run_remote(pool: _Pool, fn: Callable[[T], R], items: Iterable[T], slots: int, chunksize: int | None) -> Iterator[R]:
    """Chunks submitted a bounded window ahead and consumed in order: the order of results, and which
    error is raised, are the loop's whatever order the workers finish in."""
    if chunksize is None:
        chunksize = max(1, math.ceil(len(items) / (slots * CHUNKS_PER_WORKER))) if isinstance(items, Sized) else 1
    pending: deque[Any] = deque()
    try:
        chunks = _chunks(items, chunksize)
        for chunk in chunks:
            pending.append(pool.submit(_run_chunk, fn, chunk))
            if len(pending) >= slots * AHEAD_PER_WORKER:
                break
        while pending:
            done = pool.result(pending.popleft())
            for r in done:
                if isinstance(r, _Refused):
                    raise r.error()
                yield r
            nxt = next(chunks, None)
            if nxt is not None:
                pending.append(pool.submit(_run_chunk, fn, nxt))
    finally:
        pool.close(list(pending))


def _connect(cluster: Any) -> tuple[Any, bool]:
    """A dask client for ``cluster`` (an address, or a ``distributed.Client`` the caller keeps) that
    has at least one worker and runs this capplan version; the bool says whether we close it."""
    if not isinstance(cluster, str):
        if hasattr(cluster, "submit") and hasattr(cluster, "nthreads"):
            return cluster, False
        raise UserError("cluster", cluster, "the address of a dask scheduler, e.g. tcp://10.0.0.5:8786")
    try:
        from distributed import Client
    except ImportError:
        raise UserError("cluster", cluster, "running on a cluster needs dask.distributed: pip install 'capplan[cluster]'") from None
    # Probe first: a Client whose constructor fails lingers, and at interpreter exit its finaliser waits
    # 10 s and prints a traceback. The probe also tells a scheduler from any other server on that port.
    try:
        with ThreadPoolExecutor(1) as thread:  # its own event loop, even if the caller runs one (a notebook)
            kind = thread.submit(asyncio.run, _identify(cluster, CONNECT_TIMEOUT_S)).result()
    except (OSError, TimeoutError, ValueError, TypeError) as exc:  # refused, silent, or not an address
        raise UserError("cluster", cluster, f"the address of a dask scheduler that answers within {CONNECT_TIMEOUT_S:g} s, e.g. tcp://10.0.0.5:8786 ({exc or 'no answer'})") from None
    if kind != "Scheduler":
        raise UserError("cluster", cluster, f"the address of a dask scheduler (this one is a {kind})")
    client = Client(cluster, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    try:
        if not client.nthreads():
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise UserError("cluster", cluster, f"a dask scheduler with at least one worker within {CONNECT_TIMEOUT_S:g} s ({exc})") from None
    try:
        versions = set(client.run(_capplan_version).values())
    except Exception as exc:  # a worker without capplan cannot even unpickle the probe (ModuleNotFoundError)
        client.close()
        raise UserError("cluster", cluster, f"workers that have capplan installed ({type(exc).__name__}: {exc})") from None
    here = _capplan_version()
    if versions - {here}:
        client.close()
        raise UserError("cluster", cluster, f"workers that run capplan {here} like this machine (they run {', '.join(sorted(versions))})")
    return client, True


async def _identify(address: str, timeout_s: float) -> str:
    """What kind of dask server answers at ``address`` ("Scheduler", "Worker", ...)."""
    from distributed.core import rpc

    async with rpc(address, timeout=timeout_s) as server:
        info = await asyncio.wait_for(server.identity(), timeout_s)
    return str(info.get("type", "unknown server"))


def _capplan_version() -> str:
    """The installed capplan's version (runs on each dask worker too). Read from the package metadata:
    importing the ``capplan`` package from here would make planning depend on the API above it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("capplan")
    except PackageNotFoundError:
        return "none (not installed as a package)"
