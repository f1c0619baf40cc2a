"""Mask archives that cannot hurt: every .npz member's header is read and checked against its
layer (element count, dtype) before anything is allocated, so a crafted header claiming 10^12
elements, a small archive that would expand to billions of elements, a plain .npy, a
truncated archive or a structured dtype end as one located line (exit 2), never a traceback
or a MemoryError."""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.workload.io import MAX_MASK_ELEMENTS, load_workload

NET = """\
name: masked
masks: m.npz
layers:
  - {name: c1, op: conv2d, in_channels: 4, out_channels: 8, kernel: 3, padding: 1, input_hw: 8}
  - {name: fc, op: linear, in_features: 512, out_features: 10}
  - {name: act, op: eltwise, kind: relu, shape: [10]}
"""
#: One linear layer of 2^34 weights: a mask of it would take 16 GiB.
HUGE = """\
name: huge
masks: m.npz
layers:
  - {name: fc, op: linear, in_features: 131072, out_features: 131072}
"""


def _header(shape: tuple[int, ...], descr: str = "|b1") -> bytes:
    """A version 1.0 .npy header claiming ``shape`` (no data needs to follow)."""
    d = {"descr": descr, "fortran_order": False, "shape": shape}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, d)
    return buf.getvalue()  # magic string included


def _zip(path: Path, members: dict[str, bytes],
         compression: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _good(tmp: Path) -> None:
    np.savez(tmp / "m.npz", c1=np.ones((8, 4, 3, 3), bool), fc=np.zeros((10, 512), np.uint8))


def _claims_1e12(tmp: Path) -> None:
    _zip(tmp / "m.npz", {"c1.npy": _header((10**6, 10**6))})


def _expands_to_billions(tmp: Path) -> None:
    # 3e9 elements claimed in a few hundred bytes; the data (zeros) would compress ~1000x
    _zip(tmp / "m.npz", {"c1.npy": _header((3 * 10**9,)) + bytes(100_000)})


def _plain_npy(tmp: Path) -> None:
    np.save(tmp / "m.npz", np.ones((8, 4, 3, 3), bool))
    (tmp / "m.npz.npy").rename(tmp / "m.npz")


def _truncated(tmp: Path) -> None:
    _good(tmp)
    data = (tmp / "m.npz").read_bytes()
    (tmp / "m.npz").write_bytes(data[: len(data) // 2])


def _corrupt_member(tmp: Path) -> None:
    _good(tmp)
    data = bytearray((tmp / "m.npz").read_bytes())
    data[200:260] = bytes(60)  # inside the first member's data: its CRC no longer matches
    (tmp / "m.npz").write_bytes(bytes(data))


def _structured(tmp: Path) -> None:
    arr = np.zeros(288, dtype=[("a", "u1")])
    _zip(tmp / "m.npz", {"c1.npy": _npy(arr)})


def _object_dtype(tmp: Path) -> None:
    _zip(tmp / "m.npz", {"c1.npy": _header((8, 4, 3, 3), "|O")})


def _strings(tmp: Path) -> None:
    _zip(tmp / "m.npz", {"c1.npy": _npy(np.full(288, "x"))})


def _wrong_count(tmp: Path) -> None:
    np.savez(tmp / "m.npz", c1=np.ones((8, 5, 3, 3), bool))


def _not_npy_member(tmp: Path) -> None:
    _zip(tmp / "m.npz", {"c1.txt": b"hello"})


def _duplicate_member(tmp: Path) -> None:
    with pytest.warns(UserWarning):  # zipfile warns about the duplicate name
        _zip(tmp / "m.npz", {"c1.npy": _npy(np.ones(288, bool))})
        with zipfile.ZipFile(tmp / "m.npz", "a") as zf:
            zf.writestr("c1.npy", _npy(np.ones(288, bool)))


def _weightless_layer(tmp: Path) -> None:
    np.savez(tmp / "m.npz", act=np.ones(10, bool))


def _unknown_layer(tmp: Path) -> None:
    np.savez(tmp / "m.npz", nope=np.ones(10, bool))


def _huge_header(tmp: Path) -> None:
    _zip(tmp / "m.npz", {"c1.npy": np.lib.format.magic(1, 0) + b"\xff\xff" + b" " * 65535})


def _version_3(tmp: Path) -> None:
    _zip(tmp / "m.npz", {"c1.npy": np.lib.format.magic(3, 0) + bytes(8)})


def _empty_file(tmp: Path) -> None:
    (tmp / "m.npz").write_bytes(b"")


def _folder(tmp: Path) -> None:
    (tmp / "m.npz").mkdir()


BAD: dict[str, tuple[Callable[[Path], None], str]] = {
    "claims_1e12": (_claims_1e12, r"c1.*1,000,000,000,000 elements.*288 weights"),
    "expands_to_billions": (_expands_to_billions, r"3,000,000,000 elements.*288 weights"),
    "plain_npy": (_plain_npy, "not an .npz archive"),
    "truncated": (_truncated, "cannot read mask file"),
    "corrupt_member": (_corrupt_member, "cannot read mask file"),
    "structured": (_structured, "has dtype"),
    "object_dtype": (_object_dtype, "has dtype object"),
    "strings": (_strings, "has dtype <U1"),
    "wrong_count": (_wrong_count, r"360 elements.*288 weights \[8, 4, 3, 3\]"),
    "not_npy_member": (_not_npy_member, "c1.txt.*no .npy array"),
    "duplicate_member": (_duplicate_member, "holds 'c1' twice"),
    "weightless_layer": (_weightless_layer, "layer 'act' has no weight matrix"),
    "unknown_layer": (_unknown_layer, "no layer"),
    "huge_header": (_huge_header, "cannot read mask file"),
    "version_3": (_version_3, "unsupported .npy format version"),
    "empty_file": (_empty_file, "not an .npz archive"),
    "folder": (_folder, "not a regular file"),
}


def _net(tmp: Path, text: str = NET) -> Path:
    p = tmp / "w.yaml"
    p.write_text(text)
    return p


def test_good_masks_still_load(tmp_path: Path) -> None:
    _good(tmp_path)
    wl = load_workload(_net(tmp_path))
    assert wl.masks["c1"].dtype == bool and wl.masks["c1"].shape == (8, 4, 3, 3)
    assert int(wl.masks["c1"].sum()) == 288 and int(wl.masks["fc"].sum()) == 0


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_mask_archive_is_one_located_error(case: str, tmp_path: Path) -> None:
    make, message = BAD[case]
    make(tmp_path)
    with pytest.raises(SpecError, match=message) as ei:
        load_workload(_net(tmp_path))
    err = ei.value
    assert err.file is not None and err.file.endswith("w.yaml")
    assert err.line == 2 and err.field == "masks"
    assert "\n" not in str(err)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_mask_archive_exits_2_with_one_line(case: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    BAD[case][0](tmp_path)
    assert main(["describe", str(_net(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hwsim: error: ") and err.count("\n") == 1, err
    assert "w.yaml:2" in err and "Traceback" not in err


def test_mask_beyond_the_element_cap_is_refused_before_allocating(tmp_path: Path) -> None:
    # the header matches the layer's 2^34 weights exactly: only the cap stops it
    _zip(tmp_path / "m.npz", {"fc.npy": _header((131072, 131072))})
    with pytest.raises(SpecError, match=rf"17,179,869,184 elements, more than "
                                        rf"{MAX_MASK_ELEMENTS:,}"):
        load_workload(_net(tmp_path, HUGE))


def test_claimed_1e12_elements_under_a_memory_limit(tmp_path: Path) -> None:
    """In a process limited to 3 GiB of address space: one line, exit 2, no MemoryError."""
    _claims_1e12(tmp_path)
    net = _net(tmp_path)
    limit = 3 << 30
    code = ("import resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
            "from hwsim.cli import main\n"
            f"sys.exit(main(['describe', {str(net)!r}]))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "1,000,000,000,000 elements" in r.stderr
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != limit  # only the child was limited
