"""Find bundled accelerator configs, workloads and language-model configs by name
(``--arch tpu_v1``, ``--model llama2_7b``) or path."""

from __future__ import annotations

from pathlib import Path

from hwsim.errors import SpecError

#: The package's bundled files: hwsim/data/ links to the checkout's arch_configs/, workloads/
#: and models/, and holds copies of them in an installed wheel (pyproject.toml, package-data).
_DATA = Path(__file__).resolve().parent / "data"


def bundled_dir(kind: str) -> Path:
    """``arch_configs``, ``workloads`` or ``models`` shipped with hwsim (else of the current
    directory)."""
    for base in (_DATA, Path.cwd()):
        d = base / kind
        if d.is_dir():
            return d
    return _DATA / kind


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
