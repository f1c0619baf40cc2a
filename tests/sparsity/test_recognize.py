"""Pattern recognition from real masks (hwsim.sparsity.recognize): pure NumPy, no torch."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.sparsity.masks import generate_mask
from hwsim.sparsity.profile import SparsityProfile
from hwsim.sparsity.recognize import (
    conforms_nm,
    is_block,
    is_exact_nm,
    recognise,
    weight_matrix,
    zero_rows,
)
from hwsim.sparsity.spec import NM, Block, Channel, Unstructured


def test_dense_and_empty():
    r = recognise(np.ones((8, 3, 3, 3)))
    assert (r.pattern, r.spec, r.rows, r.cols, r.density) == ("dense", None, 8, 27, 1.0)
    e = recognise(np.zeros((4, 16)))
    assert (e.pattern, e.spec, e.density, e.zero_rows) == ("empty", None, 0.0, 4)


def test_weight_matrix_flattens_like_torch():
    m = np.zeros((2, 3, 2, 2), dtype=bool)
    m[1, 2, 1, 0] = True  # column 2*4 + 1*2 + 0 = 10 of row 1
    mat = weight_matrix(m)
    assert mat.shape == (2, 12)
    assert np.flatnonzero(mat[1]).tolist() == [10]


@pytest.mark.parametrize(("n", "m"), [(2, 4), (1, 4), (4, 8)])
def test_nm_masks_are_recognised(n, m):
    mask = generate_mask(NM(n=n, m=m), 64, 288)
    r = recognise(mask.reshape(64, 32, 3, 3))
    assert r.pattern == "nm"
    assert r.spec == NM(n=n, m=m)
    assert r.density == pytest.approx(n / m)
    assert (n, m) in r.conforms_to


def test_two_four_also_conforms_to_four_eight_but_not_one_four():
    mask = generate_mask(NM(n=2, m=4), 16, 64)
    r = recognise(mask)
    assert r.spec == NM(n=2, m=4)  # the tightest exact pattern
    assert r.conforms_to == ((2, 4), (4, 8))
    assert conforms_nm(mask, 4, 8) and not conforms_nm(mask, 1, 4)
    # A 4:8 mask whose halves hold 3 and 1 is 4:8 but not 2:4.
    row = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    r48 = recognise(np.tile(row, (4, 2)))
    assert r48.spec == NM(n=4, m=8)
    assert r48.conforms_to == ((4, 8),)


def test_sparser_than_nm_is_not_nm():
    mask = generate_mask(NM(n=2, m=4), 16, 64)
    mask[0, :4] = False  # one group empty: still conforms to 2:4, but density < 1/2
    r = recognise(mask)
    assert r.pattern == "unstructured"
    assert (2, 4) in r.conforms_to
    assert r.spec == Unstructured(sparsity=1 - (16 * 32 - 2) / (16 * 64))


@pytest.mark.parametrize("size", [(4, 4), (8, 8), (16, 16), (32, 1)])
def test_block_masks_are_recognised_at_their_size(size):
    mask = generate_mask(Block(size=size, sparsity=0.75), 64, 256)
    r = recognise(mask)
    assert r.pattern == "block"
    assert r.spec == Block(size=size, sparsity=0.75)
    assert r.density == 0.25


def test_block_bigger_size_wins_and_edges_are_clipped():
    # 8x8 blocks imply 4x4 blocks; the largest is reported. 20 x 20: clipped edge tiles.
    mask = generate_mask(Block(size=(8, 8), sparsity=0.5), 20, 20)
    assert is_block(mask, 4, 4) and is_block(mask, 8, 8)
    r = recognise(mask)
    assert r.spec.size == (8, 8)
    assert r.spec.sparsity == pytest.approx(1 - mask.mean())
    mask[0, 0] = not mask[0, 0]
    assert not is_block(mask, 4, 4)


def test_channel_zeros():
    mask = np.ones((16, 8, 3, 3), dtype=bool)
    mask[[1, 5, 9, 13]] = False
    r = recognise(mask)
    assert r.pattern == "channel"
    assert r.zero_rows == 4
    assert r.spec == Block(size=(1, 72), sparsity=0.25)
    assert zero_rows(mask).tolist() == [1, 5, 9, 13]
    assert r.label == "channel 25% (4 of 16 rows zero)"
    # The stored spec behaves like channel zeros kept in place: same statistics as the mask.
    analytic = SparsityProfile(16, 72, 9, spec=r.spec)
    chan = SparsityProfile(16, 72, 9, spec=Channel(sparsity=0.25))
    assert analytic.occupancy(4, 4) == pytest.approx(chan.occupancy(4, 4))
    assert analytic.weight_density == 0.75


def test_unstructured():
    rng = np.random.default_rng(0)
    mask = rng.random((32, 64)) < 0.3
    r = recognise(mask)
    assert r.pattern == "unstructured"
    assert r.spec == Unstructured(sparsity=1 - mask.mean())
    assert r.conforms_to == ()
    assert not is_exact_nm(mask, 2, 4)


def test_exact_nm_needs_whole_groups():
    mask = np.tile(np.array([1, 1, 0, 0], dtype=bool), (4, 3))[:, :10]  # 10 columns
    assert not is_exact_nm(mask, 2, 4)
    assert conforms_nm(mask, 2, 4)


def test_recognised_specs_survive_the_yaml_round_trip(tmp_path):
    # dump_workload used to drop the spec's 'pattern' tag (a default), so the YAML didn't load.
    from hwsim.workload import Conv2d, build_workload
    from hwsim.workload.io import dump_workload, load_workload

    specs = [NM(n=2, m=4), Block(size=(32, 1), sparsity=0.75), Unstructured(sparsity=0.5),
             Block(size=(1, 72), sparsity=0.25)]
    layers = [Conv2d(name=f"c{i}", in_channels=8, out_channels=8, kernel=3, padding=1,
                     input_hw=8, sparsity=s) for i, s in enumerate(specs)]
    wl = build_workload("net", layers)
    dump_workload(wl, tmp_path / "net.yaml")
    back = load_workload(tmp_path / "net.yaml")
    assert [layer.sparsity for layer in back.layers] == specs


def test_hwsim_and_its_import_cli_load_without_torch_or_onnx():
    import subprocess
    import sys

    code = ("import sys, hwsim, hwsim.importers, hwsim.cli; hwsim.cli.build_parser(); "
            "assert 'torch' not in sys.modules and 'onnx' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
