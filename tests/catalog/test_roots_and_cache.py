"""CAPPLAN_PATH roots, broken files, merged economics/efficiency, scenarios by name, and the disk cache."""

from __future__ import annotations

import os
import time

import pytest

from capplan.catalog import cache
from capplan.catalog import load as load_mod
from capplan.catalog.load import data_root, find_scenario, list_scenarios, load_catalog
from capplan.catalog.schemas import PARAMS_TOLERANCE_FRAC, TextWorkload
from capplan.errors import UserError


def _root(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        p = tmp_path / "root" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return tmp_path / "root"


def test_a_missing_capplan_path_entry_is_refused_not_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("CAPPLAN_PATH", f"{tmp_path}{os.pathsep}/nonexistent{os.pathsep}")
    with pytest.raises(UserError, match=r"^CAPPLAN_PATH: '/nonexistent' is not allowed; each entry must be an existing folder"):
        load_catalog()


def test_a_broken_file_is_named_once_and_skipped_by_commands_that_do_not_need_it(monkeypatch, tmp_path, cli):
    root = _root(tmp_path, {"hardware_profiles/mygpu.toml": 'id = "mygpu"\n', "workloads/text/llama-3.1-8b.toml": "garbage\n"})
    monkeypatch.setenv("CAPPLAN_PATH", str(root))
    r = cli("list", "gpus", "-f", "json")
    assert r.code == 0
    warnings = r.err.splitlines()
    assert len(warnings) == 2 and all(w.startswith("Warning: skipped a broken catalogue file: ") for w in warnings)
    assert "mygpu.toml: field name" in r.err and "llama-3.1-8b.toml" in r.err
    assert "h100-sxm" in r.out and "mygpu" not in r.out
    # the broken file shadows the bundled model of the same id: using it names the file, never
    # falls back to the bundled numbers
    r = cli("text", "--workload", "llama-3.1-8b", "-f", "json")
    assert r.code == 2 and r.out == ""
    assert r.err.splitlines()[-1].startswith(f"Error: {root}/workloads/text/llama-3.1-8b.toml: ")
    assert r.err.count("Warning:") == 0  # named once per process, already warned above
    with pytest.raises(UserError, match="mygpu.toml: field name"):
        load_catalog().gpu("mygpu")


def test_bad_capplan_path_efficiency_and_economics_files_are_named_by_their_own_path(monkeypatch, tmp_path):
    root = _root(tmp_path, {"hardware_profiles/efficiency.toml": "[gpu.h100-sxm.fa3]\ngemm_frac = 2.0\n"})
    monkeypatch.setenv("CAPPLAN_PATH", str(root))
    with pytest.raises(UserError, match=rf"^{root}/hardware_profiles/efficiency.toml: field gpu.h100-sxm.fa3.gemm_frac: 2.0"):
        load_catalog()
    (root / "hardware_profiles/efficiency.toml").unlink()
    (root / "hardware_profiles/economics.toml").write_text("[energy]\npue = 9\n")
    load_mod._load.cache_clear()
    with pytest.raises(UserError, match=rf"^{root}/hardware_profiles/economics.toml: field energy.pue: 9"):
        load_catalog().economics()


def test_a_partial_energy_table_merges_over_the_bundled_one_field_by_field(monkeypatch, tmp_path):
    bundled = load_catalog().economics()
    root = _root(tmp_path, {"hardware_profiles/economics.toml": "[energy]\npue = 1.5\n"})
    monkeypatch.setenv("CAPPLAN_PATH", str(root))
    load_mod._load.cache_clear()
    econ = load_catalog().economics()
    assert econ.energy.pue == 1.5 != bundled.energy.pue
    assert econ.energy.electricity_usd_per_kwh == bundled.energy.electricity_usd_per_kwh
    assert econ.site == bundled.site and econ.ownership == bundled.ownership


def test_a_user_economics_file_error_names_that_file_and_options_name_themselves(tmp_path):
    cat = load_catalog()
    user = tmp_path / "e.toml"
    user.write_text("[site]\nrack_kw = 0\n")
    with pytest.raises(UserError, match=rf"^{user}: field site.rack_kw: 0"):
        cat.economics(user)
    with pytest.raises(UserError, match=r"^--pricing: field pricing: 'lease'"):
        cat.economics(pricing="lease")


def test_every_bundled_text_model_declares_params_within_the_tolerance():
    from capplan.catalog.convert import llm_architecture
    from capplan.models.transformer import param_counts

    for w in load_catalog().text.values():
        counted = param_counts(llm_architecture(w)).total
        assert abs(counted / w.architecture.params_total - 1) < 0.002, w.id  # well inside the 5%


@pytest.mark.parametrize("field,value", [("hidden_size", 10**9), ("params_total", 5.57e9), ("layers", 40)])
def test_a_text_model_whose_dimensions_disagree_with_its_params_is_refused(field, value):
    data = load_catalog().text["llama-3.1-8b"].model_dump()
    data["architecture"][field] = value
    if field == "params_total":
        data["architecture"]["params_active"] = value
    with pytest.raises(ValueError, match="differs from the .* parameters counted from the dimensions by more than 5%"):
        TextWorkload.model_validate(data)
    # heads x head_dim != hidden_size is legitimate (Qwen3): the count, not the product, is compared
    qwen = load_catalog().text["qwen3-30b-a3b"].architecture
    assert qwen.heads * qwen.head_dim != qwen.hidden_size
    assert PARAMS_TOLERANCE_FRAC == 0.05


def test_scenarios_are_found_by_name_in_capplan_path_and_listed(monkeypatch, tmp_path):
    bundled = find_scenario("chat-and-video")
    assert bundled == data_root() / "workloads" / "scenarios" / "chat-and-video.toml"
    root = _root(tmp_path, {"workloads/scenarios/mine.toml": 'name = "mine"\ndescription = "my\\nown"\n', "workloads/scenarios/bad.toml": "[[["})
    monkeypatch.setenv("CAPPLAN_PATH", str(root))
    assert find_scenario("mine") == root / "workloads/scenarios/mine.toml"
    assert find_scenario("mine.toml") == root / "workloads/scenarios/mine.toml"
    listed = {name: (path, desc) for name, path, desc in list_scenarios()}
    assert listed["mine"] == (root / "workloads/scenarios/mine.toml", "my own")
    assert listed["bad"][1].startswith("(unreadable: it must be valid TOML")
    assert "chat-and-video" in listed
    with pytest.raises(UserError, match=r"^SCENARIO: 'nope' is not allowed; give a scenario TOML file or a catalogued scenario: bad, chat-and-video, mine"):
        find_scenario("nope")
    with pytest.raises(UserError, match="a folder"):
        find_scenario(str(tmp_path))
    own = tmp_path / "x.toml"
    own.write_text('name = "x"\n')
    assert find_scenario(str(own)) == own


def _files_under_cache():
    return sorted(p.name for p in cache.cache_dir().glob("catalog-*.pickle"))


def test_the_catalogue_is_cached_on_disk_and_rebuilt_when_a_file_changes(monkeypatch, tmp_path):
    root = _root(tmp_path, {"hardware_profiles/economics.toml": "[energy]\npue = 1.5\n"})
    monkeypatch.setenv("CAPPLAN_PATH", str(root))
    built = []
    real_build = load_mod._build
    monkeypatch.setattr(load_mod, "_build", lambda m: built.append(1) or real_build(m))
    assert load_catalog().economics().energy.pue == 1.5
    assert len(_files_under_cache()) == 1 and len(built) == 1
    load_mod._load.cache_clear()
    assert load_catalog().economics().energy.pue == 1.5
    assert len(built) == 1  # read from the disk cache
    time.sleep(0.01)
    (root / "hardware_profiles/economics.toml").write_text("[energy]\npue = 1.25\n")
    load_mod._load.cache_clear()
    assert load_catalog().economics().energy.pue == 1.25
    assert len(built) == 2 and len(_files_under_cache()) == 2


def test_an_unwritable_or_corrupt_cache_never_fails_a_command(monkeypatch, tmp_path, cli):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # capplan/ cannot be made under a file
    assert cli("list", "gpus", "-f", "json").code == 0
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    load_mod._load.cache_clear()
    load_catalog()
    for entry in cache.cache_dir().glob("catalog-*.pickle"):
        entry.write_bytes(b"not a pickle")
    load_mod._load.cache_clear()
    assert "h100-sxm" in load_catalog().gpus
    os.chmod(cache.cache_dir(), 0o777)  # writable by others: its entries are not trusted
    assert cache.read("anything") is None


def test_no_cache_switch(monkeypatch):
    monkeypatch.setenv("CAPPLAN_NO_CACHE", "1")
    load_catalog()
    assert not cache.cache_dir().exists()


def test_an_entry_is_used_only_for_exactly_its_key(monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "_entry", lambda k: tmp_path / "c" / "catalog-same.pickle")  # force a file-name clash
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache.write("key one", {"x": 1})
    assert cache.read("key one") == {"x": 1}
    assert cache.read("key two") is None


def test_an_unreadable_capplan_path_economics_file_fails_only_commands_that_cost(monkeypatch, tmp_path, cli):
    root = _root(tmp_path, {"hardware_profiles/economics.toml": "[energy\n"})
    monkeypatch.setenv("CAPPLAN_PATH", str(root))
    assert cli("list", "gpus", "-f", "json").code == 0
    r = cli("video", "-f", "json")
    assert r.code == 2 and r.err.startswith(f"Error: {root}/hardware_profiles/economics.toml: '(file contents)' is not allowed; it must be valid TOML")


def test_a_5000_digit_number_in_a_capplan_path_file_is_named_by_line(monkeypatch, tmp_path, cli):
    gpu = (data_root() / "hardware_profiles" / "h100-sxm.toml").read_text().replace("id = \"h100-sxm\"", 'id = "big"')
    gpu = gpu.replace("[price]", "[price]\nusd_per_gpu_hour = " + "9" * 5000 + "\n#", 1)
    root = _root(tmp_path, {"hardware_profiles/big.toml": gpu})
    monkeypatch.setenv("CAPPLAN_PATH", str(root))
    r = cli("list", "gpus", "-f", "json")
    assert r.code == 0 and "big" not in r.out
    assert r.err.startswith(f"Warning: skipped a broken catalogue file: {root}/hardware_profiles/big.toml: line ")
    assert "'a number of 5000+ characters' is not allowed" in r.err


def test_cached_entries_are_unpickled_only_when_used():
    import pickle

    from capplan.catalog.load import LazyModels

    cat = load_catalog()
    lazy = pickle.loads(pickle.dumps(LazyModels(dict(cat.video))))
    assert len(lazy) == len(cat.video) and set(lazy) == set(cat.video) and "cogvideox-2b" in lazy
    assert lazy._models == {}
    assert lazy["cogvideox-2b"] == cat.video["cogvideox-2b"]
    assert list(lazy._models) == ["cogvideox-2b"]
    assert dict(lazy) == dict(cat.video) and lazy.get("nope") is None
    with pytest.raises(KeyError):
        lazy["nope"]


def test_no_home_folder_means_no_cache_not_an_error(monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setattr(cache.Path, "home", classmethod(lambda cls: (_ for _ in ()).throw(RuntimeError("no home"))))
    cache.write("k", 1)
    assert cache.read("k") is None
    assert "h100-sxm" in load_catalog().gpus
