"""Sparsity: statistics from specs vs masks, formats, channel pruning, hardware mechanisms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwsim.errors import HwsimError, SpecError
from hwsim.evaluation import evaluate
from hwsim.evaluation.channel_pruning import prune_channels
from hwsim.sparsity.formats import MatrixStats, break_even_density, storage_bits
from hwsim.sparsity.masks import generate_mask, nested_masks
from hwsim.sparsity.profile import SparsityProfile, expected_max_binomial
from hwsim.sparsity.spec import Channel, Unstructured, parse_sparsity
from hwsim.workload import Conv2d, Linear, build_workload, load_workload
from hwsim.workload.zoo import ZOO
from tests.conftest import SYSTOLIC_32, TINY_FPGA, make_arch

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- spec syntax ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "density"),
    [("unstructured:sparsity=0.75", 0.25), ("block:size=4x4,sparsity=0.75", 0.25),
     ("nm:n=2,m=4", 0.5), ("nm:n=1,m=4", 0.25), ("channel:sparsity=0.5", 0.5),
     ("shuffled_block:size=32x32,sparsity=0.75", 0.25), ("gs:sparsity=0.9", 0.1),
     ("small_world:sparsity=0.9", 0.1), ("nested:levels=[0.5,0.75,0.9]", 0.5)],
)
def test_cli_syntax(text, density):
    assert parse_sparsity(text).weight_density == pytest.approx(density)


@pytest.mark.parametrize("text", ["bogus:sparsity=0.5", "block:sparsity=1.5", "nm:n=5,m=4",
                                  "unstructured:sparsity", "block:size=0x4,sparsity=0.5"])
def test_bad_syntax_is_a_user_error(text):
    with pytest.raises(HwsimError):
        parse_sparsity(text)


# ---- statistics: analytic from a spec agrees with exact from a mask ---------------------------

PATTERNS = ["unstructured:sparsity=0.75", "unstructured:sparsity=0.95",
            "block:size=4x4,sparsity=0.75", "block:size=8x1,sparsity=0.5", "nm:n=2,m=4",
            "nm:n=1,m=4", "gs:sparsity=0.9,group=16", "shuffled_block:size=32x1,sparsity=0.75"]


@pytest.mark.parametrize("text", PATTERNS)
def test_spec_and_mask_profiles_agree(text):
    spec = parse_sparsity(text)
    rows, cols, rs = 256, 1152, 9
    analytic = SparsityProfile(rows, cols, rs, spec=spec)
    if spec.pattern == "shuffled_block":
        # Statistics are taken after the kernel's row gather: un-permute the stored mask.
        mask = generate_mask(parse_sparsity(text.replace("shuffled_block", "block")), rows, cols)
    else:
        mask = generate_mask(spec, rows, cols, rs, lanes=16)
    exact = SparsityProfile(rows, cols, rs, spec=spec, mask=mask, from_mask=True)
    assert exact.weight_density == pytest.approx(analytic.weight_density, abs=0.01)
    for bh, bw in [(4, 4), (16, 16), (1, 8), (64, 7)]:
        assert exact.occupancy(bh, bw) == pytest.approx(analytic.occupancy(bh, bw), abs=0.03)
    for n, m in [(2, 4), (1, 4), (4, 8)]:
        assert exact.nm_conformance(n, m) == pytest.approx(analytic.nm_conformance(n, m),
                                                           abs=0.03)
    for lanes in [8, 64]:
        assert exact.imbalance(lanes) == pytest.approx(analytic.imbalance(lanes), rel=0.05)


def test_expected_max_binomial_against_simulation():
    rng = np.random.default_rng(1)
    draws = rng.binomial(100, 0.1, size=(20000, 32)).max(axis=1).mean()
    assert expected_max_binomial(100, 0.1, 32) == pytest.approx(draws, rel=0.01)
    assert expected_max_binomial(100, 0.1, 1) == pytest.approx(10.0)


@pytest.mark.parametrize(
    "text", [*PATTERNS, "small_world:sparsity=0.9", "nm:n=2,m=4,granularity=kernel"]
)
def test_masks_are_deterministic_and_hit_density(text):
    spec = parse_sparsity(text)
    a = generate_mask(spec, 128, 576, rs=9)
    b = generate_mask(spec, 128, 576, rs=9)
    assert np.array_equal(a, b)
    # Balanced (gs) patterns hold whole nonzeros per bank: density within half a step.
    step = getattr(spec, "group", 0) / 576 if spec.pattern == "gs" else 0.0
    assert a.mean() == pytest.approx(spec.weight_density, abs=0.01 + step / 2)
    prof = SparsityProfile(128, 576, 9, spec=spec)
    assert a.mean() == pytest.approx(prof.weight_density, abs=0.01)


def test_nm_masks_conform_and_gs_is_balanced():
    m = generate_mask(parse_sparsity("nm:n=2,m=4"), 64, 128)
    assert (m.reshape(64, 32, 4).sum(axis=2) == 2).all()
    g = generate_mask(parse_sparsity("gs:sparsity=0.75,group=8"), 64, 128)
    per_bank = g.reshape(64, 16, 8).sum(axis=1)  # column c in bank c mod 8
    assert (per_bank == per_bank[0, 0]).all()


def test_nested_masks_are_subsets():
    spec = parse_sparsity("nested:levels=[0.5,0.75,0.9]")
    masks = nested_masks(spec, 64, 256)
    for dense, sparse in itertools.pairwise(masks):
        assert not (sparse & ~dense).any()
    assert [m.mean() for m in masks] == pytest.approx([0.5, 0.25, 0.1], abs=0.005)


def test_small_world_is_local():
    """Most small-world edges stay near the diagonal; random ones do not."""
    sw = generate_mask(parse_sparsity("small_world:sparsity=0.9,rewire=0.1"), 100, 100)
    rnd = generate_mask(parse_sparsity("unstructured:sparsity=0.9"), 100, 100)

    def mean_dist(mask):
        r, c = np.nonzero(mask)
        d = np.abs(r - c)
        return np.minimum(d, 100 - d).mean()

    assert mean_dist(sw) < 0.5 * mean_dist(rnd)


# ---- formats ------------------------------------------------------------------------------


def test_format_sizes_by_hand():
    st_ = MatrixStats(rows=4, cols=8, nnz=8, occupied_blocks=2, block=(2, 4))
    assert storage_bits("dense", st_, 8) == (256, 0)
    assert storage_bits("bitmap", st_, 8) == (64, 32)
    # CSR: 5 row pointers of ceil(log2 9) = 4 bits + 8 column indices of 3 bits.
    assert storage_bits("csr", st_, 8) == (64, 5 * 4 + 8 * 3)
    assert storage_bits("coo", st_, 8) == (64, 8 * (2 + 3))
    assert storage_bits("nm", st_, 8) == (64, 8 * 2)
    # BCSR: 2 occupied 2x4 blocks of values; 3 block-row pointers (2 bits) + 2 block cols (1 bit)
    assert storage_bits("bcsr", st_, 8) == (2 * 8 * 8, 3 * 2 + 2 * 1)


def test_break_even_densities():
    # Bitmap: d*b + 1 = b per element -> d = 1 - 1/b.
    assert break_even_density("bitmap", 256, 2304, 8) == pytest.approx(7 / 8, abs=1e-6)
    assert break_even_density("bitmap", 256, 2304, 16) == pytest.approx(15 / 16, abs=1e-6)
    # N:M indices: 2 bits per kept 8-bit value -> d = 8/10.
    assert break_even_density("nm", 256, 2304, 8) == pytest.approx(0.8, abs=1e-6)
    # CSR with 12-bit column indices: d * (8 + 12) ~ 8 -> ~0.4.
    assert break_even_density("csr", 256, 2304, 8) == pytest.approx(0.4, abs=0.01)


# ---- channel pruning -----------------------------------------------------------------------


def test_channel_pruning_follows_residual_joins():
    wl = ZOO["resnet18"]()
    pruned = prune_channels(wl, Channel(sparsity=0.5))
    # The stage-1 residual class (conv1, maxpool, every block output) is pruned as one.
    assert pruned.layer("conv1").out_channels == 32
    assert pruned.layer("layer1.0.conv2").out_channels == 32
    assert pruned.layer("layer1.0.conv1").in_channels == 32
    assert pruned.layer("layer1.0.add").shape[0] == 32
    # The classifier keeps its 1000 outputs and loses half its inputs.
    assert pruned.layer("fc").out_features == 1000
    assert pruned.layer("fc").in_features == 256
    inner = prune_channels(wl, Channel(sparsity=0.5, joins="keep"))
    assert inner.layer("conv1").out_channels == 64
    assert inner.layer("layer1.0.conv1").out_channels == 32
    assert inner.layer("layer1.0.conv2").in_channels == 32
    assert inner.layer("layer1.0.conv2").out_channels == 64


def test_channel_pruning_depthwise_and_attention():
    mb = prune_channels(ZOO["mobilenet_v2"](), Channel(sparsity=0.5))
    for layer in mb.layers:
        if layer.op == "conv2d" and layer.groups > 1:
            assert layer.groups == layer.in_channels == layer.out_channels
    bert = prune_channels(ZOO["bert_base_seq128"](), Channel(sparsity=0.5))
    # Q/K/V feed attention matmuls: untouched. The FFN's hidden width is pruned.
    assert bert.layer("encoder.0.query").out_features == 768
    assert bert.layer("encoder.0.ffn1").out_features == 1536
    assert bert.layer("encoder.0.ffn2").in_features == 1536


def test_structured_pruning_is_a_smaller_dense_layer(tiny_fpga):
    """Channel pruning on the CLI equals writing the smaller layers by hand."""
    a = Conv2d(name="a", in_channels=8, out_channels=16, kernel=3, padding=1, input_hw=8)
    b = Conv2d(name="b", in_channels=16, out_channels=8, kernel=3, padding=1, input_hw=8)
    wl = build_workload("two", [a, b])
    by_spec = evaluate(wl, tiny_fpga, sparsity=Channel(sparsity=0.5))
    hand = build_workload("two", [a.model_copy(update={"out_channels": 8}),
                                  b.model_copy(update={"in_channels": 8})])
    by_hand = evaluate(hand, tiny_fpga)
    assert by_spec.totals["latency_s"] == pytest.approx(by_hand.totals["latency_s"])
    assert by_spec.totals["energy_j"] == pytest.approx(by_hand.totals["energy_j"])


# ---- hardware mechanisms -------------------------------------------------------------------

convs = st.builds(
    lambda c, k, h: Conv2d(name="c", in_channels=c, out_channels=k, kernel=3, padding=1,
                           input_hw=h),
    c=st.integers(4, 64), k=st.integers(4, 64), h=st.integers(4, 28))
fcs = st.builds(lambda i, o: Linear(name="c", in_features=i, out_features=o),
                i=st.integers(16, 1024), o=st.integers(16, 1024))
layers = st.one_of(convs, fcs)
bases = st.sampled_from([TINY_FPGA, SYSTOLIC_32])
formats = st.sampled_from(["bitmap", "csr", "rle", "coo", "bcsr"])


def _run(layer, base, spec, objective="latency", **sets):
    arch = make_arch(base, **sets)
    return evaluate(build_workload("w", [layer]), arch, objective, sparsity=spec).layers[0]


@FAST
@given(layer=layers, base=bases, fmt=formats, d1=st.floats(0.02, 1.0), d2=st.floats(0.02, 1.0))
def test_denser_never_moves_fewer_bytes(layer, base, fmt, d1, d2):
    lo, hi = sorted([d1, d2])
    sets = {"sparsity": {"weights": {"format": fmt}}}
    sparse = _run(layer, base, Unstructured(sparsity=1 - lo), "energy", **sets)
    denser = _run(layer, base, Unstructured(sparsity=1 - hi), "energy", **sets)
    assert denser.dram_bytes >= sparse.dram_bytes * (1 - 1e-9)


@FAST
@given(layer=layers, base=bases, s=st.floats(0.0, 0.95), act=st.floats(0.0, 0.9))
def test_gating_never_changes_latency(layer, base, s, act):
    spec = Unstructured(sparsity=s, act=act)
    off = _run(layer, base, spec)
    on = _run(layer, base, spec, **{"sparsity": {"gating": True}})
    assert on.latency_s == off.latency_s
    assert on.energy_breakdown_j["mac"] <= off.energy_breakdown_j["mac"] * (1 + 1e-12)


@FAST
@given(layer=layers, base=bases, text=st.sampled_from(PATTERNS),
       skip=st.sampled_from(["unstructured", "nm", "block"]), act=st.floats(0, 0.9))
def test_skipping_never_slows(layer, base, text, skip, act):
    spec = parse_sparsity(text).model_copy(update={"act": act})
    none = _run(layer, base, spec)
    on = _run(layer, base, spec, **{"sparsity": {"skip": skip, "skip_inputs": True}})
    assert on.latency_s <= none.latency_s * (1 + 1e-9)


@FAST
@given(layer=layers, base=bases, fmt=formats, s=st.floats(0.75, 0.97))
def test_metadata_is_charged_as_dram_energy(layer, base, fmt, s):
    r = _run(layer, base, Unstructured(sparsity=s), **{"sparsity": {"weights": {"format": fmt}}})
    arch = make_arch(base)
    e = r.energy_breakdown_j
    # The format is used only where it is smaller than dense; metadata appears only then.
    assert (r.metadata_bytes > 0) == ("stored dense" not in r.note)
    dram_j = r.dram_bytes * 8 * arch.dram.energy_pj_per_bit * 1e-12
    assert e["dram"] + e["metadata"] == pytest.approx(dram_j)
    assert e["metadata"] == pytest.approx(r.metadata_bytes * 8 * arch.dram.energy_pj_per_bit
                                          * 1e-12)


def test_nm_hardware_needs_conformance():
    """2:4 weights run 2x on 2:4 hardware; 1:4 also only 2x; 50% unstructured gets nothing."""
    layer = Linear(name="fc", in_features=4096, out_features=4096)
    sets = {"sparsity": {"skip": "nm", "nm": [2, 4]}}
    dense = _run(layer, SYSTOLIC_32, None, **sets)
    for text, speed in [("nm:n=2,m=4", 2.0), ("nm:n=1,m=4", 2.0),
                        ("unstructured:sparsity=0.5", 1.0)]:
        r = _run(layer, SYSTOLIC_32, parse_sparsity(text), **sets)
        assert dense.compute_cycles / r.compute_cycles == pytest.approx(speed, rel=1e-6), text


def test_block_skipping_at_array_granularity():
    """Blocks matching the FPGA's 2x2 unroll are skipped exactly; 4x4 unstructured density-25%
    tiles are almost all occupied and give nothing."""
    layer = Conv2d(name="c", in_channels=64, out_channels=64, kernel=1, input_hw=8)
    sets = {"sparsity": {"skip": "block"}}
    dense = _run(layer, TINY_FPGA, None, **sets)
    blk = _run(layer, TINY_FPGA, parse_sparsity("block:size=2x2,sparsity=0.75"), **sets)
    assert dense.compute_cycles / blk.compute_cycles == pytest.approx(4.0, rel=1e-6)
    uns = _run(layer, TINY_FPGA, parse_sparsity("unstructured:sparsity=0.75"), **sets)
    occupied = 1 - 0.75**4
    assert uns.compute_cycles / dense.compute_cycles == pytest.approx(occupied, rel=0.02)


def test_unstructured_skipping_pays_imbalance():
    layer = Linear(name="fc", in_features=512, out_features=512)
    sets = {"sparsity": {"skip": "unstructured"}}
    dense = _run(layer, SYSTOLIC_32, None, **sets)
    r = _run(layer, SYSTOLIC_32, parse_sparsity("unstructured:sparsity=0.9"), **sets)
    ideal = dense.compute_cycles * 0.1
    assert r.imbalance > 1.1
    assert r.compute_cycles == pytest.approx(ideal * r.imbalance, rel=1e-6)
    gs = _run(layer, SYSTOLIC_32, parse_sparsity("gs:sparsity=0.9"), **sets)
    assert gs.imbalance == pytest.approx(1.0)
    assert gs.compute_cycles < r.compute_cycles


def test_compression_used_only_below_break_even():
    """Bitmap compression of int8 weights pays below 7/8 density; above it the weights are
    stored dense (the format would be larger), with no metadata."""
    layer = Linear(name="fc", in_features=2048, out_features=2048)
    sets = {"sparsity": {"weights": {"format": "bitmap"}}}
    dense = _run(layer, SYSTOLIC_32, None, "energy")
    lo = _run(layer, SYSTOLIC_32, Unstructured(sparsity=0.2), "energy", **sets)
    hi = _run(layer, SYSTOLIC_32, Unstructured(sparsity=0.05), "energy", **sets)
    assert lo.dram_bytes < dense.dram_bytes
    assert hi.dram_bytes == pytest.approx(dense.dram_bytes)
    assert hi.metadata_bytes == 0 and lo.metadata_bytes > 0
    assert "stored dense" in hi.note


# ---- real masks ----------------------------------------------------------------------------


def _write_net(tmp_path, mask_shape, masks_line="masks: m.npz"):
    text = f"""\
name: masked
{masks_line}
layers:
  - {{name: c1, op: conv2d, in_channels: 4, out_channels: 8, kernel: 3, padding: 1, input_hw: 8}}
  - {{name: fc, op: linear, in_features: 512, out_features: 10}}
"""
    (tmp_path / "w.yaml").write_text(text)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "m.npz", c1=rng.random(mask_shape) < 0.3)
    return tmp_path / "w.yaml"


def test_real_mask_gives_exact_density(tmp_path, tiny_fpga):
    path = _write_net(tmp_path, (8, 4, 3, 3))
    wl = load_workload(path)
    rep = evaluate(wl, tiny_fpga)
    c1 = rep.layers[0]
    assert c1.sparsity == "real mask"
    assert c1.density == pytest.approx(wl.masks["c1"].mean())
    assert rep.layers[1].density == 1.0


def test_mask_of_wrong_shape_is_a_user_error(tmp_path):
    # refused at load, from the .npy header alone, located at the workload's masks line
    with pytest.raises(SpecError, match=r"c1.*360 elements.*\[8, 4, 3, 3\]") as ei:
        load_workload(_write_net(tmp_path, (8, 5, 3, 3)))
    assert ei.value.field == "masks" and ei.value.line is not None


def test_missing_mask_file_is_located(tmp_path):
    path = _write_net(tmp_path, (8, 4, 3, 3), masks_line="masks: nothere.npz")
    with pytest.raises(SpecError) as ei:
        load_workload(path)
    assert ":2:" in str(ei.value)


def test_layer_sparsity_in_yaml(tmp_path, tiny_fpga):
    text = """\
name: s
layers:
  - name: fc
    op: linear
    in_features: 256
    out_features: 256
    sparsity: {pattern: block, size: 2x2, sparsity: 0.75}
"""
    (tmp_path / "s.yaml").write_text(text)
    wl = load_workload(tmp_path / "s.yaml")
    arch = make_arch(TINY_FPGA, **{"sparsity": {"skip": "block"}})
    r = evaluate(wl, arch).layers[0]
    assert r.density == pytest.approx(0.25)
    assert r.sparsity == "block 2x2 75%"
    assert math.isclose(r.skipped_macs, 0.75 * r.macs, rel_tol=1e-9)


def test_small_world_shortens_wires_on_a_mesh():
    """Same density, same MACs: small-world connectivity moves operands over fewer mesh hops
    than random connectivity; on a systolic array (fixed neighbour hops) it changes nothing."""
    layer = Linear(name="fc", in_features=512, out_features=512)
    mesh = {"interconnect": {"topology": "mesh", "hop_mm": 0.1}}
    sw = _run(layer, TINY_FPGA, parse_sparsity("small_world:sparsity=0.9,rewire=0.1"), **mesh)
    rnd = _run(layer, TINY_FPGA, parse_sparsity("unstructured:sparsity=0.9"), **mesh)
    assert sw.energy_breakdown_j["interconnect"] < 0.5 * rnd.energy_breakdown_j["interconnect"]
    assert "local connectivity" in sw.note
    prof = SparsityProfile(512, 512, spec=parse_sparsity("small_world:sparsity=0.9,rewire=0.1"))
    assert prof.locality() < 0.3
    assert SparsityProfile(512, 512, spec=parse_sparsity("unstructured:sparsity=0.9")
                           ).locality() == 1.0
    flat = _run(layer, SYSTOLIC_32, parse_sparsity("small_world:sparsity=0.9,rewire=0.1"))
    ref = _run(layer, SYSTOLIC_32, parse_sparsity("unstructured:sparsity=0.9"))
    assert flat.energy_breakdown_j["interconnect"] == pytest.approx(
        ref.energy_breakdown_j["interconnect"])
