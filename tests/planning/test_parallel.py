"""run_map gives the loop's answer, in the loop's order, serially, on local processes and on dask."""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

import pytest

import capplan
from capplan.errors import UserError
from capplan.planning import parallel
from capplan.planning.parallel import iter_map, run_map

SCENARIO = str(Path(__file__).resolve().parents[1] / "golden" / "plan-small.toml")
#: Two draws' worth of --set overrides: demand scaled down and up (both feasible in plan-small).
DRAWS = [["text.requests_per_s.scale=0.9"], ["video.videos_per_hour.scale=1.2"]]


# Module-level so that worker processes can import them by name.
def collatz_steps(n: int) -> int:
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def pid_of(_: int) -> int:
    return os.getpid()


def refuse_multiples_of(k: int, x: int) -> int:
    if x % k == 0:
        raise UserError("x", x, f"not a multiple of {k}")
    return x


def plan_json(sets: list[str]) -> str:
    return capplan.plan(SCENARIO, sets=sets, time_limit_s=60).model_dump_json()


# Hand-checked: 6 -> 3 -> 10 -> 5 -> 16 -> 8 -> 4 -> 2 -> 1 is 8 steps; 27 takes 111.
def test_serial_is_the_loop():
    assert run_map(collatz_steps, [1, 6, 27]) == [0, 8, 111]


def test_two_local_workers_give_the_serial_answer_in_input_order():
    items = list(range(1, 400))
    serial = run_map(collatz_steps, items)
    assert run_map(collatz_steps, items, workers=2) == serial
    assert run_map(collatz_steps, items, workers=2, chunksize=7) == serial  # a ragged last chunk


@pytest.mark.skipif(parallel.available_cores() < 2, reason="one core: workers are capped at 1, so everything runs in this process")
def test_workers_are_other_processes():
    pids = set(run_map(pid_of, range(8), workers=2, chunksize=1))
    assert os.getpid() not in pids


def test_empty_input_gives_empty_output():
    assert run_map(collatz_steps, [], workers=2) == []


def test_workers_are_capped_at_the_cores():
    n = parallel.available_cores()
    assert run_map(collatz_steps, [6, 27], workers=n + 3) == [8, 111]
    assert len(set(run_map(pid_of, range(40), workers=n + 3, chunksize=1))) <= n


def test_streaming_consumes_a_lazy_input_in_order():
    it = iter_map(collatz_steps, (n for n in range(1, 50)), workers=2)
    assert list(it) == [collatz_steps(n) for n in range(1, 50)]


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_bad_worker_counts_are_refused(workers):
    with pytest.raises(UserError, match="whole number of worker processes, 1 or more") as exc:
        run_map(collatz_steps, [1], workers=workers)
    assert exc.value.source == "workers"


def test_bad_chunksize_is_refused():
    with pytest.raises(UserError) as exc:
        run_map(collatz_steps, [1], chunksize=0)
    assert exc.value.source == "chunksize"


def test_workers_and_cluster_together_are_refused():
    with pytest.raises(UserError, match="not both"):
        run_map(collatz_steps, [1], workers=2, cluster="tcp://127.0.0.1:1")


def test_a_lambda_is_refused_even_serially():
    with pytest.raises(TypeError, match="module-level function"):
        run_map(lambda x: x, [1])


@pytest.mark.parametrize("workers", [1, 2])
def test_the_first_user_error_in_input_order_arrives_whole(workers):
    # Items 3 and 6 both fail; the loop would stop at 3, so must every executor, with the same error.
    fn = functools.partial(refuse_multiples_of, 3)
    with pytest.raises(UserError) as exc:
        run_map(fn, [1, 2, 3, 4, 5, 6], workers=workers, chunksize=1)
    assert (exc.value.source, exc.value.value, exc.value.allowed) == ("x", 3, "not a multiple of 3")


def test_other_exceptions_keep_their_type_across_processes():
    with pytest.raises(ZeroDivisionError):
        run_map(functools.partial(divmod, 1), [1, 0, 2], workers=2, chunksize=1)


@pytest.fixture(scope="module")
def serial_plans() -> list[str]:
    return run_map(plan_json, DRAWS)


def test_local_workers_plan_byte_identical_json(serial_plans):
    assert serial_plans[0] != serial_plans[1]  # the draws differ, so order is tested too
    assert run_map(plan_json, DRAWS, workers=2) == serial_plans


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_cluster_address_that_does_not_answer_is_refused(monkeypatch):
    pytest.importorskip("distributed", reason="dask.distributed is the optional 'cluster' extra")
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(UserError, match="dask scheduler that answers within 1 s") as exc:
        run_map(collatz_steps, [1], cluster=address)
    assert (exc.value.source, exc.value.value) == ("cluster", address)


def test_without_dask_a_cluster_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith(("distributed.", "dask")):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(UserError, match=r"capplan\[cluster\]") as exc:
        run_map(collatz_steps, [1], cluster="tcp://127.0.0.1:8786")
    assert exc.value.source == "cluster"


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is the optional 'cluster' extra")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster


def test_a_local_dask_cluster_gives_the_serial_answer(dask_cluster):
    items = list(range(1, 200))
    assert run_map(collatz_steps, items, cluster=dask_cluster.scheduler_address) == run_map(collatz_steps, items)


def test_a_local_dask_cluster_plans_byte_identical_json(dask_cluster, serial_plans):
    assert run_map(plan_json, DRAWS, cluster=dask_cluster.scheduler_address) == serial_plans


def test_a_user_error_on_the_cluster_arrives_whole(dask_cluster):
    with pytest.raises(UserError) as exc:
        run_map(functools.partial(refuse_multiples_of, 2), [1, 3, 4, 6], cluster=dask_cluster.scheduler_address, chunksize=1)
    assert (exc.value.source, exc.value.value) == ("x", 4)


def test_a_cluster_running_another_capplan_is_refused(dask_cluster, monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9")  # this machine only; the workers report theirs
    with pytest.raises(UserError, match=r"workers that run capplan 9\.9\.9 like this machine \(they run 0\.") as exc:
        run_map(collatz_steps, [1], cluster=dask_cluster.scheduler_address)
    assert exc.value.source == "cluster"


def test_a_scheduler_without_workers_is_refused(monkeypatch):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is the optional 'cluster' extra")
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT_S", 1.0)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        with pytest.raises(UserError, match="at least one worker within 1 s") as exc:
            run_map(collatz_steps, [1], cluster=empty.scheduler_address)
    assert exc.value.source == "cluster"


def test_a_garbage_address_is_refused():
    pytest.importorskip("distributed", reason="dask.distributed is the optional 'cluster' extra")
    with pytest.raises(UserError) as exc:
        run_map(collatz_steps, [1], cluster="no-such-protocol://x")
    assert exc.value.source == "cluster"


def test_a_stream_closed_early_leaves_no_worker_behind():
    import multiprocessing

    before = set(multiprocessing.active_children())  # e.g. the dask cluster's nannies, alive for the module
    it = iter_map(collatz_steps, range(1, 100_000), workers=2, chunksize=10)
    assert [next(it) for _ in range(3)] == [0, 1, 7]
    it.close()
    assert set(multiprocessing.active_children()) <= before


def test_a_client_the_caller_holds_is_used_and_left_open(dask_cluster):
    import distributed

    with distributed.Client(dask_cluster.scheduler_address, set_as_default=False) as client:
        assert run_map(collatz_steps, [6, 27], cluster=client) == [8, 111]
        assert client.status == "running"


def die(_: int) -> int:
    os._exit(1)  # as the out-of-memory killer would end it


@pytest.mark.skipif(parallel.available_cores() < 2, reason="one core: the function would run, and exit, in this process")
def test_a_worker_that_dies_is_one_clear_error():
    with pytest.raises(UserError, match="one was killed") as exc:
        run_map(die, [1, 2], workers=2)
    assert (exc.value.source, exc.value.value) == ("workers", 2)


def test_a_dask_worker_that_dies_is_one_clear_error():
    dask = pytest.importorskip("dask", reason="dask.distributed is the optional 'cluster' extra")
    distributed = pytest.importorskip("distributed", reason="dask.distributed is the optional 'cluster' extra")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # no retries: one death is enough
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            with pytest.raises(UserError, match="workers died") as exc:
                run_map(die, [1], cluster=cluster.scheduler_address)
    assert exc.value.source == "cluster"


def pids_of_a_nested_map(_: int) -> tuple[int, set[int]]:
    return os.getpid(), set(run_map(pid_of, range(6), workers=2, chunksize=1))


@pytest.mark.skipif(parallel.available_cores() < 2, reason="one core: nothing runs in another process")
def test_a_map_inside_a_worker_runs_in_that_worker():
    for pid, inner in run_map(pids_of_a_nested_map, [1, 2], workers=2):
        assert pid != os.getpid() and inner == {pid}
