"""Write an imported workload: the YAML and its real masks (.npz) beside it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from hwsim.errors import HwsimError
from hwsim.safeio import atomic_file, check_output, write_text_atomic
from hwsim.workload.graph import Workload, build_workload
from hwsim.workload.io import dump_workload


def masks_path(yaml_path: str | Path) -> Path:
    """``out/net.yaml`` -> ``out/net.masks.npz``."""
    p = Path(yaml_path)
    return p.with_name(p.stem + ".masks.npz")


def save_workload(wl: Workload, path: str | Path) -> Workload:
    """Write ``wl`` to ``path`` and, when it has masks, ``<stem>.masks.npz`` beside it (named
    in the YAML's ``masks:`` field, relative to it). Returns the workload as written, so that
    ``load_workload(path)`` gives an equal one, masks included."""
    path = Path(path)
    masks = {k: np.asarray(v, dtype=bool) for k, v in wl.masks.items()}
    npz = masks_path(path) if masks else None
    out = build_workload(wl.name, wl.layers, wl.batch, wl.precision, wl.description, wl.source,
                         masks, npz.name if npz else None)
    # Both targets must be regular files (or absent) before either is written.
    check_output(path)
    if npz is not None:
        check_output(npz)
    text = dump_workload(out)
    try:
        if npz is not None:
            _write_npz(npz, masks)
    except OSError as exc:
        raise HwsimError(f"{npz}: cannot write masks: {exc}") from None
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise HwsimError(f"{path}: cannot write workload: {exc}") from None
    return out


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """What ``np.savez_compressed(path, **arrays)`` writes, for any array name: numpy's keyword
    form would take a layer named ``file`` or ``allow_pickle`` for its own argument. Written
    atomically (a temporary file beside it, then a rename)."""
    with atomic_file(path) as f, zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_DEFLATED,
                                                 allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
