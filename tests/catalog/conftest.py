from __future__ import annotations

import pytest

from capplan.catalog import load as load_mod


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Each test gets its own empty catalogue cache (tests must not depend on a warm one) and a fresh
    in-process cache, so CAPPLAN_PATH changes are seen."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.delenv("CAPPLAN_PATH", raising=False)
    monkeypatch.delenv("CAPPLAN_NO_CACHE", raising=False)
    load_mod._load.cache_clear()
    load_mod._warned.clear()
    yield
    load_mod._load.cache_clear()
