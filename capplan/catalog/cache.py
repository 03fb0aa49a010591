"""The validated catalogue, kept between runs so that parsing and validating every TOML file is paid once.

An entry is keyed by everything the catalogue is built from: each file's path, size and modification
time (nanoseconds), the roots in order, and the versions of Python, pydantic and capplan's catalogue
code. The whole key is stored in the entry and compared exactly on reading (the file name is only a
checksum of it), so editing, adding or removing a file means a rebuild, never a stale catalogue.

Location: ``$XDG_CACHE_HOME/capplan`` or ``~/.cache/capplan``. The cache is an optimisation only: a
folder that cannot be created or written, a corrupt or foreign entry, or ``CAPPLAN_NO_CACHE=1`` all mean
"build from the files", never an error.

Entries are pickles, so they are read only from a folder that belongs to the current user and is not
writable by others (a pickle from someone else could run code).
"""

from __future__ import annotations

import operator
import os
import pickle
import stat
import sys
import zlib
from pathlib import Path
from typing import Any

ENV_DISABLE = "CAPPLAN_NO_CACHE"
KEEP = 8  # entries kept; older ones are removed when a new one is written
_CODE = ("load.py", "schemas.py", "records.py", "numbers.py", "cache.py", "engines.py", "engines_schema.py")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "capplan"


def enabled() -> bool:
    return os.environ.get(ENV_DISABLE, "") in ("", "0")


def key(manifest: list[tuple[str, ...]]) -> str:
    """Everything the catalogue depends on, as one string: the files (``manifest`` rows) and the code
    that reads them."""
    import pydantic

    here = Path(__file__).parent
    parts = [sys.version, pydantic.VERSION]
    for name in _CODE:
        try:
            st = (here / name).stat()
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{name}:?")
    parts += ["\x1f".join(row) for row in manifest]
    return "\x1e".join(parts)


def _entry(k: str) -> Path:
    return cache_dir() / f"catalog-{zlib.crc32(k.encode('utf-8', 'surrogateescape')):08x}.pickle"


def _safe_folder(folder: Path) -> bool:
    try:
        st = folder.stat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISDIR(st.st_mode) and owner_ok and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(k: str) -> Any | None:
    """The object stored under ``k``, or None (missing, unreadable, corrupt, unsafe or another key)."""
    if not enabled():
        return None
    try:
        path = _entry(k)  # Path.home() fails without HOME or a password entry
        if not _safe_folder(path.parent):
            return None
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
            return None
        with path.open("rb") as fh:
            stored_key, obj = pickle.load(fh)
        return obj if stored_key == k else None
    except Exception:  # noqa: BLE001 - any failure means "rebuild"
        return None


def write(k: str, obj: Any) -> None:
    """Store ``obj`` under ``k`` atomically; silently does nothing when that is not possible."""
    if not enabled():
        return
    import tempfile

    tmp = None
    try:
        path = _entry(k)
        folder = path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _safe_folder(folder):
            return
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".catalog-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((k, obj), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
        _prune(folder)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is no error
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("catalog-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEEP:]:
        try:
            old.unlink()
        except OSError:
            pass


class ByIdentity:
    """Values computed from immutable objects (catalogue entries, economics, resolved setups), kept in
    memory for the same objects: a scalar what-if repeated on one model and GPU does not recompute
    them. Objects are matched by identity and held by the entry, so an id cannot be reused while the
    entry lives; the oldest of ``size`` entries goes first."""

    def __init__(self, size: int = 64) -> None:
        self._entries: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}
        self._size = size

    def get(self, objects: tuple[Any, ...], choices: tuple[Any, ...], make: Any) -> Any:
        """The value for ``objects`` (by identity) and ``choices`` (hashable, by value): kept, or ``make()``."""
        key = (*map(id, objects), *choices)
        hit = self._entries.get(key)
        if hit is not None and all(map(operator.is_, hit[0], objects)):
            return hit[1]
        value = make()
        if len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (objects, value)
        return value
