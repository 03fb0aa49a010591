"""Read the catalogue from TOML files. Every failure becomes one :class:`UserError` naming the file and field.

Every input file capplan reads (catalogue, scenario, economics, calibration, demand CSV) goes through
:func:`checked_input` / :func:`read_text`: a regular file (not a folder, FIFO or device, which would hang
or never end), at most a size limit, UTF-8. Error messages name the file, never quote its contents.
"""

from __future__ import annotations

import os
import pickle
import re
import stat
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from capplan.catalog.numbers import loads_toml
from capplan.catalog.records import to_record
from capplan.errors import UserError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from capplan.catalog.schemas import Economics, EfficiencyFile, GPUProfile, TextWorkload, VideoWorkload

M = TypeVar("M", bound="BaseModel")
T = TypeVar("T")

#: Extra catalogue roots (each may hold hardware_profiles/ and workloads/), separated by os.pathsep.
ENV_PATH = "CAPPLAN_PATH"
#: Size limits. The largest legitimate TOML is a scenario with hourly values for a leap year of several
#: services (~1 MB); a demand CSV of a leap year with many columns stays well under 16 MiB.
MAX_TOML_BYTES = 4 << 20
MAX_CSV_BYTES = 16 << 20


@lru_cache(maxsize=1)
def data_root() -> Path:
    """Where the bundled catalogue is: inside the installed wheel, or the repository in a checkout."""
    here = Path(__file__).resolve().parent.parent
    bundled = here / "_data"
    if (bundled / "hardware_profiles").is_dir():
        return bundled
    return here.parent


# --- checked input files ----------------------------------------------------------------------------


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_stat(st: os.stat_result, path: str, option: str, max_bytes: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise UserError(option, path, f"it cannot be read: it is {_kind(st.st_mode)}; name a regular file")
    if st.st_size > max_bytes:
        raise UserError(option, path, f"the file is {st.st_size:,} bytes; input files of this kind are limited to {max_bytes:,}")


def _os_error(exc: OSError | ValueError, path: str, option: str) -> UserError:
    if isinstance(exc, FileNotFoundError):
        return UserError(option, path, "no such file; the file cannot be read")
    reason = getattr(exc, "strerror", None) or ("the name is not a valid path" if isinstance(exc, ValueError) else type(exc).__name__)
    return UserError(option, path, f"the file cannot be read ({reason})")


def checked_input(path: str | Path, option: str, max_bytes: int = MAX_TOML_BYTES) -> Path:
    """``path`` as a Path naming a readable regular file of at most ``max_bytes``, else a UserError
    naming ``option`` (the option, or file and field, that gave the path)."""
    p = Path(path)
    if str(path) == "":
        raise UserError(option, "", "name a file")
    try:
        st = p.stat()
    except (OSError, ValueError) as exc:  # missing, a symlink loop, a name too long, a NUL byte
        raise _os_error(exc, str(p), option) from None
    _check_stat(st, str(p), option, max_bytes)
    return p


def read_text(path: str | Path, option: str, max_bytes: int = MAX_TOML_BYTES) -> str:
    """The UTF-8 text (a byte-order mark dropped) of a checked input file.

    The file is opened without blocking and checked again on the open descriptor, so a file swapped
    for a FIFO or device after :func:`checked_input` still cannot hang the read; reading stops at
    ``max_bytes`` (a file growing while read, e.g. /proc)."""
    p = str(path)
    if p == "":
        raise UserError(option, "", "name a file")
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:
        raise _os_error(exc, p, option) from None
    try:
        _check_stat(os.fstat(fd), p, option, max_bytes)
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _os_error(exc, p, option) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise UserError(option, p, f"the file grew beyond {max_bytes:,} bytes while being read")
    try:
        return b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(option, p, "it must be a readable UTF-8 text file") from None


def read_toml(path: Path, option: str | None = None, max_bytes: int = MAX_TOML_BYTES) -> dict[str, Any]:
    """A checked TOML file, every number bounded (:mod:`capplan.catalog.numbers`). Errors name
    ``option`` for problems with the file itself (default: the path) and the path for its contents."""
    import tomllib

    where = str(path)
    text = read_text(path, option or where, max_bytes)
    try:
        return loads_toml(text, where)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(where, "(file contents)", f"it must be valid TOML ({exc})") from None
    except RecursionError:
        raise UserError(where, "(file contents)", "tables or arrays are nested too deeply") from None


def existing_file(option: str, path: str | Path) -> Path:
    """``path`` as a Path that names an existing regular file, else a UserError naming ``option``."""
    return checked_input(path, option)


def validate(model: type[M], data: Any, where: str, sources: dict[tuple[str, ...], str] | None = None) -> M:
    """``model.model_validate(data)``, turning the first validation error into a one-line UserError.

    ``sources`` maps a field path (a prefix of a location) to the file that gave it, for data merged
    from several files: the error names the file of the longest matching prefix, else ``where``."""
    from pydantic import ValidationError  # here: a what-if served from the catalogue cache validates nothing

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        parts = tuple(str(p) for p in err["loc"])
        if sources:
            for n in range(len(parts), -1, -1):
                if parts[:n] in sources:
                    where = sources[parts[:n]]
                    break
        loc = ".".join(parts)
        value = err.get("input", "")
        if isinstance(value, dict):
            value = "(table)"
        elif err["type"] == "extra_forbidden":
            # a key the schema does not know: name it, never echo its value (the file may not be
            # capplan's at all, e.g. a credentials file given by mistake)
            value = "(unknown field)"
        source = f"{where}: field {loc}" if loc else where
        raise UserError(source, value, err["msg"].rstrip(".")) from None


def merge_into(data: dict[str, Any], new: dict[str, Any], source: str, sources: dict[tuple[str, ...], str], prefix: tuple[str, ...] = (), depth: int = 1) -> None:
    """Lay ``new`` over ``data`` field by field down to ``depth`` table levels (deeper tables are
    replaced whole), recording in ``sources`` which file gave each field."""
    for k, v in new.items():
        here = (*prefix, str(k))
        if depth > 0 and isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k] = dict(data[k])
            merge_into(data[k], v, source, sources, here, depth - 1)
        else:
            data[k] = v
            for old in [s for s in sources if s[: len(here)] == here]:
                del sources[old]
            sources[here] = source


# --- the catalogue ----------------------------------------------------------------------------------


class LazyModels(Mapping[str, T], Generic[T]):
    """Catalogue entries by id, kept pickled in the disk cache until one is used: a command that needs
    3 of 10,000 models in CAPPLAN_PATH unpickles 3 (0.34 s of CPU for all 10,000 video models)."""

    __slots__ = ("_blobs", "_models")

    def __init__(self, models: Mapping[str, T]) -> None:
        self._models: dict[str, T] = dict(models)
        self._blobs: dict[str, bytes] = {}

    def __getitem__(self, key: str) -> T:
        try:
            return self._models[key]
        except KeyError:
            model: T = pickle.loads(self._blobs[key])  # KeyError for an unknown id, as a dict
            self._models[key] = model
            return model

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs or self._models)

    def __len__(self) -> int:
        return len(self._blobs or self._models)

    def __contains__(self, key: object) -> bool:
        return key in (self._blobs or self._models)

    def __repr__(self) -> str:
        return f"LazyModels({sorted(self)})"

    def __getstate__(self) -> dict[str, bytes]:
        return {k: self._blobs[k] if k in self._blobs else pickle.dumps(self._models[k], pickle.HIGHEST_PROTOCOL) for k in self}

    def __setstate__(self, blobs: dict[str, bytes]) -> None:
        self._blobs, self._models = blobs, {}


@dataclass(frozen=True)
class Catalog:
    """The catalogue. Its entries are validated once and kept as plain records
    (:mod:`capplan.catalog.records`) with the fields and methods of the schema classes they are
    annotated with here; ``model_copy``/``model_dump`` work as on those."""

    gpus: Mapping[str, GPUProfile]
    efficiency: EfficiencyFile
    video: Mapping[str, VideoWorkload]
    text: Mapping[str, TextWorkload]
    economics_data: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    #: which file gave each economics field (see :func:`validate`)
    economics_sources: dict[tuple[str, ...], str] = field(default_factory=dict)
    #: "gpu:<id>" / "video:<id>" / "text:<id>" of a broken CAPPLAN_PATH file -> its error (source, value, allowed)
    broken: dict[str, tuple[str, Any, str]] = field(default_factory=dict)
    #: the error of an unreadable CAPPLAN_PATH economics.toml, raised when economics are asked for
    economics_error: tuple[str, Any, str] | None = None
    #: ``economics_data`` validated, with nothing laid over (None: it does not validate). Kept in the disk
    #: cache, so that a what-if on the catalogue's economics does not build Economics' validator.
    default_economics: Economics | None = None

    @property
    def problems(self) -> list[str]:
        """One line per CAPPLAN_PATH file that was skipped because it is broken."""
        return [str(UserError(*err)) for err in self.broken.values()]

    def _broken(self, kind: str, item_id: str) -> None:
        err = self.broken.get(f"{kind}:{item_id}")
        if err is not None:
            raise UserError(*err)

    def economics(self, path: Path | None = None, overlay: dict[str, Any] | None = None, overlay_source: str = "", **overrides: Any) -> Economics:
        """The catalogue's economics defaults, with a user's TOML file and then single options laid over.

        ``overrides`` are dotted keys ("energy.pue") set by command-line options; None values are skipped.
        Tables are merged field by field; an error names the file (or option) that gave the bad field.
        """
        if self.economics_error is not None:
            raise UserError(*self.economics_error)
        if path is None and not overlay and self.default_economics is not None and all(v is None for v in overrides.values()):
            return self.default_economics
        data: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in self.economics_data.items()}
        sources = dict(self.economics_sources)
        default = next(iter(sources.values()), "hardware_profiles/economics.toml")
        if path is not None:
            _merge_economics(data, read_toml(path, "--economics"), str(path), f"user file {path}", sources)
        if overlay:
            _merge_economics(data, overlay, overlay_source or "--set", overlay_source, sources)
        for dotted, value in overrides.items():
            if value is None:
                continue
            section, _, key = dotted.partition(".")
            option = "--" + dotted.rsplit(".", 1)[-1].replace("_", "-")
            if key:
                if not isinstance(data.get(section), dict):
                    data[section] = {}
                data[section] = {**data[section], key: value}
                sources[(section, key)] = option
            else:
                data[section] = value
                sources[(section,)] = option
        from capplan.catalog.schemas import Economics

        return to_record(validate(Economics, data, default, sources))  # type: ignore[no-any-return]

    def gpu(self, gpu_id: str, option: str = "--gpu") -> GPUProfile:
        if gpu_id in self.gpus:
            return self.gpus[gpu_id]
        self._broken("gpu", gpu_id)
        raise UserError(option, gpu_id, f"choose a catalogued GPU: {', '.join(sorted(self.gpus))}")

    def video_workload(self, workload_id: str, option: str = "--workload") -> VideoWorkload:
        if workload_id in self.video:
            return self.video[workload_id]
        self._broken("video", workload_id)
        hint = " (that is a text model: use `capplan text`)" if workload_id in self.text else ""
        raise UserError(option, workload_id, f"choose a catalogued video model{hint}: {', '.join(sorted(self.video))}")

    def text_workload(self, workload_id: str, option: str = "--workload") -> TextWorkload:
        if workload_id in self.text:
            return self.text[workload_id]
        self._broken("text", workload_id)
        hint = " (that is a video model: use `capplan video`)" if workload_id in self.video else ""
        raise UserError(option, workload_id, f"choose a catalogued text model{hint}: {', '.join(sorted(self.text))}")

    def stack(self, stack: str | None, option: str = "--stack") -> str:
        if stack is None:
            return self.efficiency.default_stack
        if stack not in self.efficiency.stacks:
            raise UserError(option, stack, f"choose a software stack: {', '.join(self.efficiency.stacks)}")
        return stack


def _merge_economics(data: dict[str, Any], new: dict[str, Any], where: str, label: str, sources: dict[tuple[str, ...], str]) -> None:
    """Lay one economics file (or overlay) over ``data`` field by field; a table it touches gets its
    ``source`` (unless it gives one) saying where the new figures come from."""
    merge_into(data, new, where, sources)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict) and "source" not in value and label:
            data[key] = {**data[key], "source": label}


# --- loading ----------------------------------------------------------------------------------------


def _roots() -> list[Path]:
    """The bundled root, then every folder named in $CAPPLAN_PATH.

    A CAPPLAN_PATH entry that is not a folder is refused rather than skipped: the catalogue sets every
    price and efficiency, and a mistyped path silently falling back to bundled figures would give
    confident, wrong costs. Empty entries (a stray separator) are ignored."""
    extra: list[Path] = []
    for entry in os.environ.get(ENV_PATH, "").split(os.pathsep):
        if not entry:
            continue
        p = Path(entry)
        try:
            ok = p.is_dir()
        except (OSError, ValueError):
            ok = False
        if not ok:
            raise UserError(ENV_PATH, entry, f"each entry must be an existing folder holding hardware_profiles/ or workloads/ (entries are separated by {os.pathsep!r})")
        extra.append(p)
    return [data_root(), *extra]


_KINDS = (("gpu", "hardware_profiles"), ("video", "workloads/video"), ("text", "workloads/text"))


def _manifest(roots: tuple[Path, ...]) -> list[tuple[str, ...]]:
    """(root index, kind, path, size, mtime_ns) of every catalogue file, in load order."""
    rows: list[tuple[str, ...]] = []
    for i, root in enumerate(roots):
        for kind, sub in _KINDS:
            folder = root / sub
            try:
                entries = sorted((e for e in os.scandir(folder) if e.name.endswith(".toml")), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                try:
                    st = e.stat()
                except OSError:
                    st = None
                size, mtime = (str(st.st_size), str(st.st_mtime_ns)) if st else ("?", "?")
                rows.append((str(i), kind, e.path, size, mtime))
    return rows


def _build(manifest: list[tuple[str, ...]]) -> Catalog:
    """Parse and validate every catalogue file; the catalogue keeps them as records."""
    from capplan.catalog.schemas import Economics, EfficiencyFile, GPUProfile, TextWorkload, VideoWorkload

    files: dict[str, Path] = {}
    items: dict[str, dict[str, Any]] = {"gpu": {}, "video": {}, "text": {}}
    broken: dict[str, tuple[str, Any, str]] = {}
    eff_data: dict[str, Any] | None = None
    eff_sources: dict[tuple[str, ...], str] = {}
    economics_data: dict[str, Any] = {}
    economics_sources: dict[tuple[str, ...], str] = {}
    economics_error: tuple[str, Any, str] | None = None
    from_bundle: dict[str, bool] = {}
    models: dict[str, type[BaseModel]] = {"gpu": GPUProfile, "video": VideoWorkload, "text": TextWorkload}
    for index, kind, name, *_ in manifest:
        path = Path(name)
        bundled = index == "0"
        if kind == "gpu" and path.name == "economics.toml":
            try:
                merge_into(economics_data, read_toml(path), str(path), economics_sources)
            except UserError as exc:  # only commands that cost something need economics: they fail on use
                if bundled:
                    raise
                economics_error = economics_error or (exc.source, exc.value, exc.allowed)
            continue
        if kind == "gpu" and path.name == "engines.toml":  # serving-engine profiles: sourced reference data, not yet wired into the models
            continue
        if kind == "gpu" and path.name == "efficiency.toml":
            data = read_toml(path)
            if eff_data is None:
                eff_data = data
                eff_sources[()] = str(path)
            else:  # a later root adds or overrides whole chip-and-stack entries, stacks and runtime fields
                merge_into(eff_data, data, str(path), eff_sources, depth=2)
            continue
        try:
            item: Any = validate(models[kind], read_toml(path), str(path))
            if path.stem != item.id:
                raise UserError(f"{path}: field id", item.id, f"it must match the file name ({path.stem!r})")
        except UserError as exc:
            if bundled:  # the bundled catalogue must be valid: that is a bug, not something to skip
                raise
            broken[f"{kind}:{path.stem}"] = (exc.source, exc.value, exc.allowed)
            items[kind].pop(path.stem, None)  # never fall back to an earlier root's entry of the same id
            continue
        broken.pop(f"{kind}:{item.id}", None)
        items[kind][item.id] = to_record(item)
        files[f"{kind}:{item.id}"] = path
        from_bundle[f"{kind}:{item.id}"] = bundled
    if eff_data is None:
        raise UserError("hardware_profiles/efficiency.toml", "(missing)", "the catalogue needs an efficiency file")
    efficiency = to_record(validate(EfficiencyFile, eff_data, eff_sources.get((), "hardware_profiles/efficiency.toml"), eff_sources))
    gpus: dict[str, GPUProfile] = items["gpu"]
    for gpu_id in list(gpus):
        if gpu_id not in efficiency.gpu or efficiency.default_stack not in efficiency.gpu[gpu_id]:
            err = ("hardware_profiles/efficiency.toml", gpu_id, f"every GPU needs a [gpu.{gpu_id}.{efficiency.default_stack}] table")
            if from_bundle[f"gpu:{gpu_id}"]:
                raise UserError(*err)
            broken[f"gpu:{gpu_id}"] = (f"{files[f'gpu:{gpu_id}']}: efficiency", gpu_id, err[2])
            del gpus[gpu_id]
    default_economics = None
    if economics_error is None:
        try:
            default_economics = to_record(validate(Economics, economics_data, next(iter(economics_sources.values()), ""), economics_sources))
        except UserError:
            pass  # raised again, naming the file and field, by the commands that cost something
    return Catalog(
        default_economics=default_economics,
        gpus=LazyModels(gpus), efficiency=efficiency, video=LazyModels(items["video"]), text=LazyModels(items["text"]), economics_data=economics_data,
        files=files, economics_sources=economics_sources, broken=broken, economics_error=economics_error,
    )


@lru_cache(maxsize=4)
def _load(roots: tuple[Path, ...]) -> Catalog:
    from capplan.catalog import cache

    manifest = _manifest(roots)
    k = cache.key([tuple(str(r) for r in roots), *manifest])
    cat = cache.read(k)
    if not isinstance(cat, Catalog):
        cat = _build(manifest)
        cache.write(k, cat)
    return cat


_warned: set[str] = set()


def load_catalog() -> Catalog:
    """The bundled catalogue plus any roots named in $CAPPLAN_PATH (later roots override earlier ids).

    A broken GPU or model file in CAPPLAN_PATH is named once on standard error and skipped; using its
    id is an error naming the file. A broken efficiency file is an error (every estimate and stack
    choice uses it); a broken economics file is an error of the commands that cost something."""
    cat = _load(tuple(_roots()))
    for line in cat.problems:
        if line not in _warned:
            _warned.add(line)
            print(f"Warning: skipped a broken catalogue file: {line}", file=sys.stderr)
    return cat


# --- scenarios --------------------------------------------------------------------------------------

_SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _scenario_files() -> dict[str, Path]:
    """name -> file of every catalogued scenario; a later root's file overrides an earlier one's."""
    out: dict[str, Path] = {}
    for root in _roots():
        folder = root / "workloads" / "scenarios"
        try:
            names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".toml"))
        except OSError:
            continue
        for name in names:
            out[name[: -len(".toml")]] = folder / name
    return out


def find_scenario(name_or_path: str | Path, option: str = "SCENARIO") -> Path:
    """A scenario file: an existing path as given, else a catalogued scenario's name (bundled or in
    CAPPLAN_PATH/workloads/scenarios/), else a UserError naming what was typed and the known names."""
    text = str(name_or_path)
    p = Path(text)
    try:
        exists = text != "" and (p.exists() or p.is_symlink())
    except (OSError, ValueError):
        exists = False
    if exists:
        return checked_input(p, option)
    known = _scenario_files()
    name = text[: -len(".toml")] if text.endswith(".toml") else text
    if _SCENARIO_NAME.fullmatch(name) and name in known:
        return checked_input(known[name], option)
    raise UserError(option, text, f"give a scenario TOML file or a catalogued scenario: {', '.join(sorted(known)) or 'none'}")


def list_scenarios() -> list[tuple[str, Path, str]]:
    """(name, path, description) of every catalogued scenario, by name; an unreadable file's
    description says why instead of failing the listing."""
    out = []
    for name, path in sorted(_scenario_files().items()):
        try:
            data = read_toml(path)
            desc = data.get("description") or data.get("name") or ""
            desc = " ".join(str(desc).split())
        except UserError as exc:
            desc = f"(unreadable: {exc.allowed})"
        out.append((name, path, desc))
    return out
