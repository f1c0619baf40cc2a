"""Outputs say what produced them: provenance of run and compare results (JSON and CSV) and
of sweep tables (Parquet metadata)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hwsim.arch.load import load_arch
from hwsim.evaluation import compare, evaluate
from hwsim.report import Origin, arch_sha256, provenance, rows_csv, rows_json, workload_sha256
from hwsim.sparsity.spec import parse_sparsity
from hwsim.sweep import load_sweep, run_sweep
from hwsim.sweep.store import META_KEY, provenance_of
from hwsim.version import VERSION
from hwsim.workload.graph import build_workload
from hwsim.workload.io import load_workload
from hwsim.workload.layers import Linear
from tests.conftest import ARCH_DIR

KEYS = {"hwsim_version", "arch", "arch_sha256", "arch_path", "sets", "workload",
        "workload_sha256", "workload_path", "masked_layers", "batch", "sparsity",
        "sparsity_label", "level", "objective", "attention"}


def test_provenance_keys_and_values():
    arch, wl = load_arch("gemmini"), load_workload("lenet5")
    spec = parse_sparsity("nested:levels=[0.5,0.75]")
    p = provenance(arch, wl, arch_path="x.yaml", sets=["compute.rows=8"], batch=4,
                   sparsity_text="nested:levels=[0.5,0.75]", sparsity=spec, level=1,
                   objective="energy", attention="fused")
    assert set(p) == KEYS
    assert p["hwsim_version"] == VERSION and p["arch"] == "gemmini" and p["batch"] == 4
    assert p["sparsity_label"] == spec.label and p["level"] == 1
    assert len(p["arch_sha256"]) == 64 and len(p["workload_sha256"]) == 64
    assert "baseline" in provenance(arch, wl, baseline="dense")


def test_arch_hash_follows_the_resolved_content():
    base = arch_sha256(load_arch("gemmini"))
    assert arch_sha256(load_arch("gemmini")) == base
    assert arch_sha256(load_arch(ARCH_DIR / "gemmini.yaml")) == base  # same file, other name
    assert arch_sha256(load_arch("gemmini", ["compute.rows=8"])) != base
    assert arch_sha256(load_arch("gemmini", {"dram.bandwidth_gbps": 8})) != base


def test_workload_hash_covers_layers_batch_and_masks():
    layer = Linear(name="fc", in_features=64, out_features=8)
    mask = np.ones((8, 64), dtype=bool)
    a = build_workload("w", [layer], masks={"fc": mask})
    flipped = mask.copy()
    flipped[0, 0] = False
    h = workload_sha256(a)
    assert workload_sha256(build_workload("w", [layer], masks={"fc": mask.copy()})) == h
    assert workload_sha256(build_workload("w", [layer], masks={"fc": flipped})) != h
    assert workload_sha256(build_workload("w", [layer])) != h
    assert workload_sha256(a.with_batch(2)) != h
    wider = layer.model_copy(update={"out_features": 9})
    assert workload_sha256(build_workload("w", [wider])) != workload_sha256(
        build_workload("w", [layer]))


def test_run_json_and_csv_carry_it():
    rep = evaluate(load_workload("lenet5"), load_arch("gemmini"))
    assert "provenance" not in rep.to_dict()  # nothing known, nothing claimed
    rep.provenance = provenance(load_arch("gemmini"), load_workload("lenet5"),
                                sets=["a=1", "b=[1, 2]"])
    d = json.loads(rep.to_json())
    assert d["provenance"] == rep.provenance
    text = rep.to_csv()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["name"] == "TOTAL" and len(rows) == len(rep.layers) + 1
    assert {r["provenance.arch_sha256"] for r in rows} == {rep.provenance["arch_sha256"]}
    assert json.loads(rows[0]["provenance.sets"]) == ["a=1", "b=[1, 2]"]
    assert rows[0]["provenance.sparsity"] == ""  # null
    df = pd.read_csv(io.StringIO(text))
    assert list(df.columns[:4]) == ["name", "op", "precision", "macs"]
    assert df["provenance.hwsim_version"].astype(str).eq(VERSION).all()


def test_compare_rows_carry_it_per_row():
    archs = [load_arch("gemmini"), load_arch("eyeriss", ["sparsity.gating=false"])]
    texts = ["unstructured:sparsity=0.5", "nested:levels=[0.5,0.9]"]
    origin = Origin(arch_paths=["g.yaml", None], sets=[[], ["sparsity.gating=false"]],
                    workload_path="lenet5.yaml", sparsity_texts=texts)
    rows = compare(load_workload("lenet5"), archs, [parse_sparsity(t) for t in texts],
                   batch=2, origin=origin)
    assert len(rows) == 2 * 4
    for r in rows:
        assert set(r.provenance) == KEYS | {"baseline"}
        assert r.provenance["arch"] == r.arch and r.provenance["batch"] == 2
        assert r.provenance["sparsity_label"] == r.label
    eyeriss = [r for r in rows if r.arch == "eyeriss"]
    assert all(r.provenance["sets"] == ["sparsity.gating=false"] for r in eyeriss)
    assert rows[0].provenance["arch_path"] == "g.yaml"
    assert [r.provenance["sparsity"] for r in rows[:4]] == [None, texts[0], texts[1], texts[1]]
    assert [r.provenance["level"] for r in rows[:4]] == [0, 0, 0, 1]
    data = json.loads(rows_json(rows))
    assert data[3]["provenance"]["level"] == 1 and data[3]["support"]["skip"] == "none"
    text = rows_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [p["label"] for p in parsed] == [r.label for r in rows]
    assert json.loads(parsed[-1]["support"])["gating"] is False
    df = pd.read_csv(io.StringIO(text))
    assert len(df) == len(rows) and df["provenance.level"].tolist()[:4] == [0, 0, 0, 1]


SWEEP = f"""\
name: tiny
arch: {ARCH_DIR / 'gemmini.yaml'}
workloads: [lenet5]
sparsity: [dense, "unstructured:sparsity=0.5"]
parameters:
  compute.rows: [8, 16]
"""


@pytest.mark.parametrize("outputs", ["totals", "layers"])
def test_sweep_tables_carry_it_in_parquet_metadata(tmp_path: Path, outputs: str):
    spec = tmp_path / "s.yaml"
    spec.write_text(SWEEP + f"outputs: {outputs}\n")
    out = tmp_path / "r.parquet"
    summary = run_sweep(load_sweep(spec), out)
    files = [out] + ([summary.layers_output] if summary.layers_output else [])
    for f in files:
        info = provenance_of(f)
        assert info["hwsim_version"] == VERSION and info["computed_by"] == [VERSION]
        assert len(info["spec_sha256"]) == 64 and info["spec"] == str(spec)
        assert info["workloads"][0]["name"] == "lenet5"
        assert info["sparsity"] == ["dense", "unstructured:sparsity=0.5"]
        assert json.loads(pq.read_schema(f).metadata[META_KEY]) == info
    assert len(pd.read_parquet(out)) == 4
    # a changed spec changes the hash; the table records it
    first = provenance_of(out)["spec_sha256"]
    spec.write_text(SWEEP.replace("[8, 16]", "[8, 16, 32]") + f"outputs: {outputs}\n")
    run_sweep(load_sweep(spec), out)
    assert provenance_of(out)["spec_sha256"] != first
