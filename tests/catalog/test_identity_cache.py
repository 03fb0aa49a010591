"""catalog.cache.ByIdentity: values kept per immutable object, matched by identity, never by equality."""

from __future__ import annotations

import pytest

from capplan.catalog.cache import ByIdentity


class Obj:
    def __eq__(self, other: object) -> bool:  # every Obj equal: only identity may match
        return isinstance(other, Obj)

    __hash__ = object.__hash__


def test_kept_for_the_same_objects_and_choices_only():
    cache, calls = ByIdentity(size=2), []
    a, b = Obj(), Obj()

    def make(tag):
        return lambda: calls.append(tag) or tag

    assert cache.get((a,), ("x",), make("a-x")) == "a-x"
    assert cache.get((a,), ("x",), make("again")) == "a-x"  # kept
    assert cache.get((b,), ("x",), make("b-x")) == "b-x"  # an equal but other object: made anew
    assert cache.get((a,), ("y",), make("a-y")) == "a-y"  # another choice; the oldest entry (a, x) goes
    assert cache.get((a,), ("x",), make("a-x2")) == "a-x2"
    assert calls == ["a-x", "b-x", "a-y", "a-x2"]


def test_an_entry_holds_its_objects_so_an_id_is_not_reused():
    cache = ByIdentity()
    cache.get((Obj(),), (), lambda: 1)
    held = next(iter(cache._entries.values()))[0][0]
    assert isinstance(held, Obj)  # still alive: no later object can take its id while the entry lives


def test_a_repeated_what_if_reuses_the_resolved_setup_and_a_set_does_not():
    import capplan
    from capplan.planning import resolve

    before = len(resolve._TEXT_SETUPS._entries)
    r1 = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1)
    n1 = len(resolve._TEXT_SETUPS._entries)
    r2 = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1)
    assert len(resolve._TEXT_SETUPS._entries) == n1 >= before
    assert r1 == r2
    r3 = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, sets=["gpu.memory.memory_gb=40"])
    assert r3.usable_memory_gb < r1.usable_memory_gb  # a --set makes new catalogue objects: a new setup


def test_a_new_datasheet_memory_size_is_the_devices_memory_unless_its_runtime_total_is_set_too():
    import capplan

    base = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1)
    assert base.usable_memory_gb * 1e9 == pytest.approx(0.9 * 81082 * 2**20)  # vLLM's 0.9 of the CUDA total
    r = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, sets=["gpu.memory.memory_gb=96"])
    assert r.usable_memory_gb == pytest.approx(0.9 * 96)
    both = capplan.text("llama-3.1-8b", "h100-sxm", gpus=1, sets=["gpu.memory.memory_gb=96", "gpu.memory.device_memory_mib=97285"])
    assert both.usable_memory_gb * 1e9 == pytest.approx(0.9 * 97285 * 2**20)
