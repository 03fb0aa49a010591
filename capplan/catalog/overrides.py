"""`--set key=value`: change any catalogue, economics, scenario or request field without editing files.

Keys name a field by its path in the file it comes from, under a prefix that says which file:

- ``gpu.<path>``: the GPU(s) in use, e.g. ``gpu.price.usd_per_gpu_hour=1.9``, ``gpu.memory.memory_gb=96``
  (which then stands for the device's memory, in decimal GB, unless ``gpu.memory.device_memory_mib`` is
  set too)
- ``workload.<path>``: the model in use (video/text), e.g. ``workload.defaults.steps=30``
- ``efficiency.<field>``: the efficiency profile of the GPU(s) in use and the chosen stack
- ``economics.<path>``: ``economics.energy.pue=1.2``, ``economics.pricing=own``
- ``scenario.<path>``: the plan's scenario, e.g. ``scenario.fleet.node_size=4``, ``scenario.text.0.tpot_ms=30``
- ``video.<option>`` / ``text.<option>``: a request option, e.g. ``video.fps=30`` (in a plan: every
  video service)

Values are TOML values (``1.9``, ``true``, ``"fa3"``, ``[1, 2]``); a bare word is taken as a string,
and so is ``WIDTHxHEIGHT`` (TOML would read ``0x0`` as a hexadecimal 0). Numbers pass the bounded parse of
:mod:`capplan.catalog.numbers`. Booleans are ``true`` or ``false`` only: ``yes``, ``no``, ``on``, ``off``
(or a number, for a switch such as ``video.cfg``) are refused, never read as "true" by being non-empty.
Changed entries are validated exactly like the files, so a bad value is refused with its key.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from capplan.catalog.load import Catalog, validate
from capplan.catalog.numbers import loads_toml, looks_numeric, parse_number
from capplan.catalog.records import to_record
from capplan.errors import UserError

if TYPE_CHECKING:
    from capplan.catalog.schemas import TextWorkload, VideoWorkload

PREFIXES = ("gpu", "workload", "efficiency", "economics", "scenario", "video", "text")


class Scale(float):
    """A ``key*=factor`` override: multiply the current value."""


#: Request options that are switches (video./text. keys, --vary keys): true or false only.
BOOL_OPTIONS = ("cfg", "no_latency_targets")
_RESOLUTION = re.compile(r"\d+\s*[xX\u00d7]\s*\d+")
_BOOL_WORDS = {"yes", "no", "on", "off", "y", "n", "t", "f", "true", "false"}


def parse_value(text: str, source: str = "--vary", key: str | None = None) -> Any:
    """A --set or --vary value: a bounded number, a TOML value, or a bare word as a string.

    ``source`` names the option in errors; ``key`` (e.g. "cfg", "video.cfg"), when it names a switch
    in :data:`BOOL_OPTIONS`, makes anything but true/false an error."""
    s = text.strip()
    if _RESOLUTION.fullmatch(s):
        value: Any = s
    elif looks_numeric(s):
        value = parse_number(s, source)
    elif s.lower() in _BOOL_WORDS and s not in ("true", "false"):
        raise UserError(source, text, "booleans are written true or false")
    else:
        import tomllib

        try:
            value = loads_toml(f"v = {s}", source)["v"]
        except tomllib.TOMLDecodeError:
            value = s
        except UserError as exc:  # a number too long inside an array or table: name the option only
            raise UserError(source, exc.value, exc.allowed) from None
    if key is not None and key.rsplit(".", 1)[-1].replace("-", "_") in BOOL_OPTIONS and not isinstance(value, bool):
        raise UserError(source, text, f"{key} is a switch: choose true or false")
    return value


def parse_sets(sets: list[str] | None, option: str = "--set") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for item in sets or []:
        key, eq, value = item.partition("=")
        key = key.strip()
        scale = key.endswith("*")
        key = key.rstrip("*").strip()
        if not eq or not key or "." not in key:
            raise UserError(option, item, "write prefix.field=value, e.g. gpu.price.usd_per_gpu_hour=1.9")
        prefix = key.split(".", 1)[0]
        if prefix not in PREFIXES:
            raise UserError(option, item, f"the key must start with one of {', '.join(p + '.' for p in PREFIXES)}")
        parsed = parse_value(value.strip(), f"{option} {key}", key if prefix in ("video", "text") else None)
        if scale:
            if isinstance(parsed, bool) or not isinstance(parsed, (int, float)):
                raise UserError(option, item, "key*=factor takes a number")
            parsed = Scale(parsed)
        out.append((key, parsed))
    return out


def set_path(data: Any, path: list[str], value: Any, key: str, option: str = "--set") -> None:
    """Set ``data[path...] = value`` for an existing path (list items by index)."""
    node = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise UserError(option, key, f"{'.'.join(path[:i]) or 'it'} is a list of {len(node)}: use an index from 0 to {len(node) - 1}")
            if last:
                node[int(part)] = _scaled(node[int(part)], value, key, option)
            else:
                node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node and not (last and not isinstance(value, Scale)):
                known = ", ".join(sorted(str(k) for k in node))
                raise UserError(option, key, f"no field {part!r} there; known: {known}")
            if last:
                node[part] = _scaled(node.get(part), value, key, option)
            else:
                node = node[part]
        else:
            raise UserError(option, key, f"{'.'.join(path[:i])} is a value, not a table")


def _scaled(current: Any, value: Any, key: str, option: str) -> Any:
    if not isinstance(value, Scale):
        return value
    if current is None:  # *= leaves a field the entry does not have (e.g. fp4 on a chip without it) unset
        return None
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise UserError(option, key, f"*= multiplies a number; the current value is {current!r}")
    return current * float(value)


def _revalidate(model: Any, path: list[str], value: Any, key: str) -> Any:
    """A catalogue entry (a record, or a pydantic model) with one field changed, validated by its schema."""
    data = model.model_dump()
    set_path(data, path, value, key)
    schema = model.schema() if hasattr(type(model), "schema_module") else type(model)
    return to_record(validate(schema, data, f"--set {key}"))


def apply_to_catalog(cat: Catalog, sets: list[tuple[str, Any]], *, gpus: list[str], workload: str | None, stack: str) -> Catalog:
    """A copy of ``cat`` with the gpu./workload./efficiency. keys applied."""
    gpu_map = dict(cat.gpus)
    video, text = dict(cat.video), dict(cat.text)
    eff = cat.efficiency
    for key, value in sets:
        prefix, _, rest = key.partition(".")
        path = rest.split(".")
        if prefix == "gpu":
            # a new datasheet memory size is the device's memory from then on, unless its runtime total is set too
            follows = path == ["memory", "memory_gb"] and all(k != "gpu.memory.device_memory_mib" for k, _ in sets)
            for g in gpus:
                gpu_map[g] = _revalidate(gpu_map[g], path, value, key)
                if gpu_map[g].id != g:
                    raise UserError("--set", key, "a GPU's id cannot be changed")
                if follows and gpu_map[g].memory.device_memory_mib is not None:
                    gpu_map[g] = _revalidate(gpu_map[g], ["memory", "device_memory_mib"], None, key)
        elif prefix == "workload":
            if workload is None:
                raise UserError("--set", key, "workload. keys apply to video and text; in a plan use scenario. keys")
            table: dict[str, Any] = video if workload in video else text
            item: VideoWorkload | TextWorkload = table[workload]
            table[workload] = _revalidate(item, path, value, key)
        elif prefix == "efficiency":
            data = eff.model_dump()
            for g in gpus:
                set_path(data["gpu"][g][stack], path, value, key)
            from capplan.catalog.schemas import EfficiencyFile

            eff = to_record(validate(EfficiencyFile, data, f"--set {key}"))
    return dataclasses.replace(cat, gpus=gpu_map, video=video, text=text, efficiency=eff)


def economics_overlay(sets: list[tuple[str, Any]]) -> dict[str, Any]:
    """economics. keys as a nested overlay for :meth:`Catalog.economics`."""
    out: dict[str, Any] = {}
    for key, value in sets:
        prefix, _, rest = key.partition(".")
        if prefix != "economics":
            continue
        parts = rest.split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


def request_sets(sets: list[tuple[str, Any]], kind: str) -> dict[str, Any]:
    """video./text. keys as option values (dashes allowed: video.price-per-gpu-hour)."""
    return {k.split(".", 1)[1].replace("-", "_"): v for k, v in sets if k.split(".", 1)[0] == kind}

