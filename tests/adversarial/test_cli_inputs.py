"""Hostile command lines: sparsity strings, --set, options, output paths, every command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.adversarial._harness import ARCH, WORKLOAD, Case, check_cli, dump

FILES = {"a.yaml": dump(ARCH), "w.yaml": dump(WORKLOAD)}
RUN = ["run", "--arch", "{tmp}/a.yaml", "--workload", "{tmp}/w.yaml"]

SPARSITY = [
    "", ":", "zebra", "unstructured:", "unstructured:sparsity", "unstructured:sparsity=",
    "unstructured:sparsity=1", "unstructured:sparsity=1.5", "unstructured:sparsity=-0.1",
    "unstructured:sparsity=nan", "unstructured:sparsity=inf", "unstructured:sparsity=abc",
    "unstructured:sparsity=0.5,sparsity=0.6", "unstructured:spars=0.5", "unstructured:act=2",
    "unstructured:sparsity=0.5,seed=1e30", "unstructured:sparsity=0.5,seed=-1.5",
    "unstructured:sparsity=0.5,distribution=gaussian", "nm:n=5,m=4", "nm:n=0,m=4",
    "nm:n=2,m=0", "nm:n=2.5,m=4", "nm:n=99999999999999999999,m=4", "5:4", "0:4", "2:0",
    "2:4:act=7", "nm:n=2,m=4,granularity=row", "block:size=0x4,sparsity=0.5",
    "block:size=4x0,sparsity=0.5", "block:size=x,sparsity=0.5", "block:size=-4x4,sparsity=0.5",
    "block:size=4x4x4,sparsity=0.5", "block:sparsity=2", "shuffled_block:size=0x1,sparsity=0.5",
    "channel:sparsity=1.0", "channel:sparsity=0.5,joins=maybe", "gs:sparsity=0.5,group=-1",
    "small_world:sparsity=0.9,rewire=2", "nested:levels=[]", "nested:levels=[0.5,1.5]",
    "nested:levels=[0.5,abc]", "nested:levels=[[[[0.5]]]]", "nested:levels=[0.5,0.75",
    "nested:levels=[0.5],base=nested", "dense:sparsity=0.5", "unstructured:sparsity=0.5=0.6",
    "unstructured:sparsity=" + "9" * 5000, "x" * 10000, "unstructured:\x00=1",
]

SETS = [
    "clock_mhz", "=5", "clock_mhz=", "clock_mhz=abc", "clock_mhz=-5", "clock_mhz=0",
    "clock_mhz=.nan", "clock_mhz=.inf", "clock_mhz=1e308", "clock_mhz=true",
    "clock_mhz=9223372036854775808", "compute.row=16", "compute.rows=0", "compute.rows=2.5",
    "compute.rows=[1]", "compute.rows={a: 1}", "compute=5", "buffers.9.capacity_kib=1",
    "buffers.x.capacity_kib=1", "buffers.0.capacity_kib=-1", "dram.bandwith_gbps=1",
    "dram=[1, 2]", "kind=quantum", "nosuch:clock_mhz=5", "sparsity.nm=[5, 4]",
    "sparsity.skip=everything", "precisions=[]", "clock_mhz=[unclosed",
    "clock_mhz=&a [*a]", "name.first=x",
]

OPTIONS: list[tuple[str, list[str], bool]] = [
    ("level-neg", ["--sparsity", "nested:levels=[0.5,0.9]", "--level", "-1"], False),
    ("level-99", ["--sparsity", "nested:levels=[0.5,0.9]", "--level", "99"], False),
    ("level-not-nested", ["--level", "3"], False),
    ("level-text", ["--level", "two"], True),
    ("batch-zero", ["--batch", "0"], False), ("batch-neg", ["--batch", "-4"], False),
    ("batch-text", ["--batch", "many"], True), ("batch-float", ["--batch", "2.5"], True),
    ("batch-huge", ["--batch", str(2**63)], False), ("batch-1e30", ["--batch", "1e30"], True),
    ("format-xml", ["--format", "xml"], True), ("objective", ["--objective", "speed"], True),
    ("attention", ["--attention", "sometimes"], True),
    ("arch-twice", ["--arch", "gemmini"], False),
    ("workload-twice", ["--workload", "lenet5"], False),
    ("sparsity-twice", ["--sparsity", "2:4", "--sparsity", "2:4"], False),
    ("unknown-option", ["--speed", "fast"], True), ("stray-arg", ["extra"], True),
]


def _cases() -> list[Case]:
    cases = [Case(f"sparsity:{i}:{s[:30]!r}", [*RUN, "--sparsity", s], files=FILES,
                  expect=["--sparsity"]) for i, s in enumerate(SPARSITY)]
    cases += [Case(f"set:{s}", [*RUN, "--set", s], files=FILES, expect=["--set"]) for s in SETS]
    cases += [Case(f"option:{n}", [*RUN, *extra], files=FILES, usage=u)
              for n, extra, u in OPTIONS]
    cases += [
        Case("run:no-arch", ["run", "--workload", "{tmp}/w.yaml"], FILES, usage=True),
        Case("run:arch-missing", ["run", "--arch", "{tmp}/no.yaml", "--workload", "{tmp}/w.yaml"],
             FILES, expect=["no.yaml"]),
        Case("run:arch-unknown-name", ["run", "--arch", "gemini", "--workload", "{tmp}/w.yaml"],
             FILES, expect=["gemini"]),
        Case("run:arch-is-dir", ["run", "--arch", "{tmp}", "--workload", "{tmp}/w.yaml"], FILES),
        Case("run:arch-is-workload", ["run", "--arch", "{tmp}/w.yaml", "--workload",
                                      "{tmp}/w.yaml"], FILES, expect=["w.yaml"], several=True),
        Case("run:workload-is-arch", ["run", "--arch", "{tmp}/a.yaml", "--workload",
                                      "{tmp}/a.yaml"], FILES, expect=["a.yaml"], several=True),
        Case("run:arch-empty-name", ["run", "--arch", "", "--workload", "{tmp}/w.yaml"], FILES),
        Case("run:arch-nul", ["run", "--arch", "a\x00b", "--workload", "{tmp}/w.yaml"], FILES),
        Case("run:too-small-buffer", [*RUN, "--set", "buffers.1.capacity_kib=0.0001"], FILES),
        Case("compare:no-arch", ["compare", "--workload", "{tmp}/w.yaml"], FILES, usage=True),
        Case("compare:baseline", ["compare", "--arch", "{tmp}/a.yaml", "--workload",
                                  "{tmp}/w.yaml", "--baseline", "best"], FILES, usage=True),
        Case("compare:bad-pattern", ["compare", "--arch", "{tmp}/a.yaml", "--workload",
                                     "{tmp}/w.yaml", "--sparsity", "nm:n=9,m=4"], FILES),
        Case("compare:workload-twice", ["compare", "--arch", "{tmp}/a.yaml", "--workload",
                                        "{tmp}/w.yaml", "--workload", "{tmp}/w.yaml"], FILES),
        Case("compare:accuracy-missing", ["compare", "--arch", "{tmp}/a.yaml", "--workload",
                                          "{tmp}/w.yaml", "--accuracy", "{tmp}/acc.csv"], FILES),
        Case("compare:accuracy-garbage", ["compare", "--arch", "{tmp}/a.yaml", "--workload",
                                          "{tmp}/w.yaml", "--accuracy", "{tmp}/acc.csv"],
             {**FILES, "acc.csv": "\x00\x01garbage,,,\n1,2\n"}),
        Case("compare:set-unknown-target", ["compare", "--arch", "{tmp}/a.yaml", "--workload",
                                            "{tmp}/w.yaml", "--set", "zz:clock_mhz=1"], FILES),
        Case("describe:batch-zero", ["describe", "{tmp}/w.yaml", "--batch", "0"], FILES),
        Case("describe:batch-neg", ["describe", "{tmp}/w.yaml", "--batch", "-1"], FILES),
        Case("describe:no-arg", ["describe"], FILES, usage=True),
        Case("fields:unknown", ["fields", "arch.nosuch"], FILES),
        Case("schema:unknown", ["schema", "network"], FILES, usage=True),
        Case("validate:missing", ["validate", "{tmp}/nope.yaml"], FILES),
        Case("validate:not-reference", ["validate", "{tmp}/a.yaml"], FILES, several=True),
        Case("llm:unknown-model", ["llm", "--arch", "{tmp}/a.yaml", "--model", "gpt9"], FILES),
        Case("llm:batch-zero", ["llm", "--arch", "{tmp}/a.yaml", "--model", "gpt2", "--batch",
                                "0"], FILES, usage=True),
        Case("llm:batch-text", ["llm", "--arch", "{tmp}/a.yaml", "--model", "gpt2", "--batch",
                                "1,x"], FILES, usage=True),
        Case("llm:tp-zero", ["llm", "--arch", "{tmp}/a.yaml", "--model", "gpt2", "--tp", "0"],
             FILES, usage=True),
        Case("llm:prompt-neg", ["llm", "--arch", "{tmp}/a.yaml", "--model", "gpt2", "--prompt",
                                "-5"], FILES, usage=True),
        Case("budget:no-budget", ["budget", "--arch", "{tmp}/a.yaml", "--workload",
                                  "{tmp}/w.yaml", "--knob", "channel"], FILES),
        Case("budget:step-zero", ["budget", "--arch", "{tmp}/a.yaml", "--workload",
                                  "{tmp}/w.yaml", "--knob", "channel", "--latency-ms", "1",
                                  "--step", "0"], FILES),
        Case("budget:latency-nan", ["budget", "--arch", "{tmp}/a.yaml", "--workload",
                                    "{tmp}/w.yaml", "--knob", "channel", "--latency-ms", "nan"],
             FILES),
        Case("isoacc:missing-table", ["isoacc", "--arch", "{tmp}/a.yaml", "--workload",
                                      "{tmp}/w.yaml", "--accuracy", "{tmp}/acc.csv",
                                      "--max-drop", "1"], FILES),
        Case("isoacc:max-drop-nan", ["isoacc", "--arch", "{tmp}/a.yaml", "--workload",
                                     "{tmp}/w.yaml", "--accuracy", "{tmp}/acc.csv",
                                     "--max-drop", "nan"],
             {**FILES, "acc.csv": "pattern,sparsity,accuracy\ndense,0,76\n"}),
    ]
    return cases


def _fifo(tmp: Path) -> None:
    os.mkfifo(tmp / "out.json")


def _link(tmp: Path) -> None:
    (tmp / "target.txt").write_text("precious\n")
    (tmp / "out.json").symlink_to(tmp / "target.txt")


def _dangling(tmp: Path) -> None:
    (tmp / "out.json").symlink_to(tmp / "nowhere" / "x.json")


def _dir(tmp: Path) -> None:
    (tmp / "out.json").mkdir()


OUTPUTS = {"dir": ("{tmp}/out.json", _dir), "parent-is-file": ("{tmp}/a.yaml/out.json", None),
           "fifo": ("{tmp}/out.json", _fifo), "symlink": ("{tmp}/out.json", _link),
           "dangling": ("{tmp}/out.json", _dangling), "empty": ("", None),
           "nul": ("{tmp}/o\x00ut.json", None)}
COMMANDS = {
    "run": RUN, "compare": ["compare", "--arch", "{tmp}/a.yaml", "--workload", "{tmp}/w.yaml"],
    "describe": ["describe", "{tmp}/w.yaml"], "fields": ["fields", "arch.dram"],
    "schema": ["schema", "arch"],
    "llm": ["llm", "--arch", "{tmp}/a.yaml", "--model", "gpt2", "--prompt", "8"],
}


def _output_cases() -> list[Case]:
    return [Case(f"output:{cmd}:{kind}", [*argv, "-o", path], FILES, setup=setup)
            for cmd, argv in COMMANDS.items() for kind, (path, setup) in OUTPUTS.items()]


CASES = _cases() + _output_cases()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cli_inputs(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_cli(case, tmp_path, capsys)
