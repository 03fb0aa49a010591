"""Read the catalogue from TOML files. Every failure becomes one :class:`UserError` naming the file and field."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from capplan.catalog.schemas import Economics, EfficiencyFile, GPUProfile, TextWorkload, VideoWorkload
from capplan.errors import UserError

M = TypeVar("M", bound=BaseModel)

#: Extra catalogue roots (each may hold hardware_profiles/ and workloads/), separated by os.pathsep.
ENV_PATH = "CAPPLAN_PATH"


def data_root() -> Path:
    """Where the bundled catalogue is: inside the installed wheel, or the repository in a checkout."""
    here = Path(__file__).resolve().parent.parent
    bundled = here / "_data"
    if (bundled / "hardware_profiles").is_dir():
        return bundled
    return here.parent


def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        return tomllib.loads(raw.decode("utf-8-sig"))  # tolerate a byte-order mark
    except FileNotFoundError:
        raise UserError(str(path), str(path), "the file does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(str(path), "(file contents)", f"it must be valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(str(path), "(file)", f"it must be a readable UTF-8 TOML file ({type(exc).__name__})") from None
    except RecursionError:
        raise UserError(str(path), "(file contents)", "tables or arrays are nested too deeply") from None


def existing_file(option: str, path: str | Path) -> Path:
    """``path`` as a Path that names an existing file, else a UserError naming ``option``."""
    p = Path(path)
    try:
        ok = p.is_file()
    except (OSError, ValueError):
        ok = False
    if not ok:
        raise UserError(option, str(p), "no such file")
    return p


def validate(model: type[M], data: Any, where: str) -> M:
    """``model.model_validate(data)``, turning the first validation error into a one-line UserError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in err["loc"])
        value = err.get("input", "")
        if isinstance(value, dict):
            value = "(table)"
        source = f"{where}: field {loc}" if loc else where
        raise UserError(source, value, err["msg"].rstrip(".")) from None


@dataclass(frozen=True)
class Catalog:
    gpus: dict[str, GPUProfile]
    efficiency: EfficiencyFile
    video: dict[str, VideoWorkload]
    text: dict[str, TextWorkload]
    economics_data: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def economics(self, path: Path | None = None, overlay: dict[str, Any] | None = None, overlay_source: str = "", **overrides: Any) -> Economics:
        """The catalogue's economics defaults, with a user's TOML file and then single options laid over.

        ``overrides`` are dotted keys ("energy.pue") set by command-line options; None values are skipped.
        """
        data = {k: dict(v) if isinstance(v, dict) else v for k, v in self.economics_data.items()}
        where = "hardware_profiles/economics.toml"
        if path is not None:
            user = read_toml(path)
            where = str(path)
            for key, value in user.items():
                if isinstance(value, dict) and isinstance(data.get(key), dict):
                    data[key].update(value)
                    data[key]["source"] = f"user file {path}"
                else:
                    data[key] = value
        for key, value in (overlay or {}).items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key].update(value)
                data[key]["source"] = overlay_source
            else:
                data[key] = value
            where = overlay_source or where
        for dotted, value in overrides.items():
            if value is None:
                continue
            section, _, key = dotted.partition(".")
            if key:
                data.setdefault(section, {})[key] = value
            else:
                data[section] = value
        return validate(Economics, data, where)

    def gpu(self, gpu_id: str, option: str = "--gpu") -> GPUProfile:
        try:
            return self.gpus[gpu_id]
        except KeyError:
            raise UserError(option, gpu_id, f"choose a catalogued GPU: {', '.join(sorted(self.gpus))}") from None

    def video_workload(self, workload_id: str, option: str = "--workload") -> VideoWorkload:
        if workload_id in self.video:
            return self.video[workload_id]
        hint = " (that is a text model: use `capplan text`)" if workload_id in self.text else ""
        raise UserError(option, workload_id, f"choose a catalogued video model{hint}: {', '.join(sorted(self.video))}")

    def text_workload(self, workload_id: str, option: str = "--workload") -> TextWorkload:
        if workload_id in self.text:
            return self.text[workload_id]
        hint = " (that is a video model: use `capplan video`)" if workload_id in self.video else ""
        raise UserError(option, workload_id, f"choose a catalogued text model{hint}: {', '.join(sorted(self.text))}")

    def stack(self, stack: str | None, option: str = "--stack") -> str:
        if stack is None:
            return self.efficiency.default_stack
        if stack not in self.efficiency.stacks:
            raise UserError(option, stack, f"choose a software stack: {', '.join(self.efficiency.stacks)}")
        return stack


def _roots() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(ENV_PATH, "").split(os.pathsep) if p]
    return [data_root(), *extra]


def _load_dir(folder: Path, model: type[M], files: dict[str, Path], kind: str) -> dict[str, M]:
    out: dict[str, M] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.toml")):
        item = validate(model, read_toml(path), str(path))
        item_id = item.id
        if path.stem != item_id:
            raise UserError(f"{path}: field id", item_id, f"it must match the file name ({path.stem!r})")
        out[item_id] = item
        files[f"{kind}:{item_id}"] = path
    return out


@lru_cache(maxsize=4)
def _load(roots: tuple[Path, ...]) -> Catalog:
    files: dict[str, Path] = {}
    gpus: dict[str, GPUProfile] = {}
    video: dict[str, VideoWorkload] = {}
    text: dict[str, TextWorkload] = {}
    eff_data: dict[str, Any] | None = None
    economics_data: dict[str, Any] = {}
    for root in roots:
        hw = root / "hardware_profiles"
        for path in sorted(hw.glob("*.toml")) if hw.is_dir() else []:
            if path.name == "economics.toml":
                economics_data.update(read_toml(path))
                continue
            if path.name == "engines.toml":  # serving-engine profiles: sourced reference data, not yet wired into the models
                continue
            if path.name == "efficiency.toml":
                data = read_toml(path)
                if eff_data is None:
                    eff_data = data
                else:  # a later root adds or overrides whole chip entries
                    for gpu_id, stacks in data.get("gpu", {}).items():
                        eff_data.setdefault("gpu", {}).setdefault(gpu_id, {}).update(stacks)
                    eff_data.setdefault("stacks", {}).update(data.get("stacks", {}))
                continue
            item = validate(GPUProfile, read_toml(path), str(path))
            if path.stem != item.id:
                raise UserError(f"{path}: field id", item.id, f"it must match the file name ({path.stem!r})")
            gpus[item.id] = item
            files[f"gpu:{item.id}"] = path
        video.update(_load_dir(root / "workloads" / "video", VideoWorkload, files, "video"))
        text.update(_load_dir(root / "workloads" / "text", TextWorkload, files, "text"))
    if eff_data is None:
        raise UserError("hardware_profiles/efficiency.toml", "(missing)", "the catalogue needs an efficiency file")
    efficiency = validate(EfficiencyFile, eff_data, "hardware_profiles/efficiency.toml")
    for gpu_id in gpus:
        if gpu_id not in efficiency.gpu or efficiency.default_stack not in efficiency.gpu[gpu_id]:
            raise UserError(
                "hardware_profiles/efficiency.toml",
                gpu_id,
                f"every GPU needs a [gpu.{gpu_id}.{efficiency.default_stack}] table",
            )
    return Catalog(gpus=gpus, efficiency=efficiency, video=video, text=text, economics_data=economics_data, files=files)


def load_catalog() -> Catalog:
    """The bundled catalogue plus any roots named in $CAPPLAN_PATH (later roots override earlier ids)."""
    return _load(tuple(_roots()))
