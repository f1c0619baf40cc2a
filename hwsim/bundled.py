"""Find bundled accelerator configs and workloads by name (``--arch tpu_v1``) or path."""

from __future__ import annotations

from pathlib import Path

from hwsim.errors import SpecError

_REPO = Path(__file__).resolve().parent.parent


def bundled_dir(kind: str) -> Path:
    """``arch_configs`` or ``workloads`` of this checkout (or of the current directory)."""
    for base in (_REPO, Path.cwd()):
        d = base / kind
        if d.is_dir():
            return d
    return _REPO / kind


def bundled_names(kind: str) -> list[str]:
    d = bundled_dir(kind)
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def resolve(spec: str, kind: str) -> Path:
    """A path as given if it exists, else the bundled ``<kind>/<spec>.yaml``."""
    p = Path(spec)
    if p.exists():
        return p
    candidate = bundled_dir(kind) / f"{spec}.yaml"
    if candidate.exists():
        return candidate
    names = ", ".join(bundled_names(kind)) or "none"
    raise SpecError(f"file not found, and no bundled {kind} entry of that name "
                    f"(bundled: {names})", spec)
