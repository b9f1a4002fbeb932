"""`placement check`: a planted one-edge bug in either engine is reported (op + attribute)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import GOLDEN, run_cli
from placement.baseline.rules import Reads, SeedRules
from placement.ir.core import Operation
from placement.model import constraints

MODULE = """\
util.func private @f() -> tensor<4xi32> {
  %cst = flow.tensor.constant {stream.affinity = #hal.device.promise<@dev_a>} dense<1> : tensor<4xi32>
  %d = flow.dispatch @ex::@entry(%cst) : (tensor<4xi32>) -> tensor<4xi32>
  util.return %d : tensor<4xi32>
}
"""


@pytest.fixture
def module_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.mlir"
    path.write_text(MODULE)
    return path


def plant_fixpoint_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Baseline: O(flow.dispatch) loses its read of P(operand 0) (one edge)."""
    original = SeedRules.execution

    def buggy(self: SeedRules, op: Operation) -> Reads:
        out = original(self, op)
        if op.name == "flow.dispatch":
            out.reads = out.reads[1:]
        return out

    monkeypatch.setattr(SeedRules, "execution", buggy)


def plant_z3_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Z3 model: the same edge is dropped from the constraint system."""
    original = constraints._Builder.execution

    def buggy(self: constraints._Builder, e: int, op: Operation) -> None:
        before = len(self.cs.edges)
        original(self, e, op)
        if op.name == "flow.dispatch" and len(self.cs.edges) > before:
            del self.cs.edges[before]

    monkeypatch.setattr(constraints._Builder, "execution", buggy)


def test_agreeing_engines_exit_0(module_file: Path) -> None:
    result = run_cli("check", str(module_file))
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("OK: fixpoint and z3 agree on 1 case(s)")


@pytest.mark.parametrize("plant", [plant_fixpoint_bug, plant_z3_bug], ids=["fixpoint", "z3"])
def test_planted_bug_is_reported(plant: object, module_file: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    plant(monkeypatch)  # type: ignore[operator]
    result = run_cli("check", str(module_file))
    assert result.code == 1, result.stdout + result.stderr
    assert "engines disagree" in result.stdout
    line = next(row for row in result.stdout.splitlines()
                if "flow.dispatch" in row and "stream.affinities " in row)
    assert "@f" in line and "3:3" in line and "#hal.device.promise<@dev_a>" in line

    result = run_cli("check", "--format", "json", str(module_file))
    assert result.code == 1
    doc = json.loads(result.stdout)
    assert not doc["engines_agree"]
    rows = {(r["op"], r["attribute"], r["line"]) for r in doc["engine_disagreements"]}
    assert ("flow.dispatch", "stream.affinities", 3) in rows
    assert ("util.return", "stream.affinities.operands", 4) in rows
    row = next(r for r in doc["engine_disagreements"] if r["attribute"] == "stream.affinities")
    bugged_side = "fixpoint" if plant is plant_fixpoint_bug else "z3"
    other = "z3" if bugged_side == "fixpoint" else "fixpoint"
    assert row[bugged_side] is None
    assert row[other] == "[#hal.device.promise<@dev_a>]"
    assert row["function"] == "@f"


def test_golden_file_agrees_split(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_cli("check", "--split-input-file", "--format", "json",
                     str(GOLDEN / "annotate_affinities.mlir"))
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["cases"] == 47 and doc["engines_agree"]


def test_bad_input_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mlir"
    bad.write_text("util.func private @f() {\n  %x = flow.tensor.transfer %y\n")
    assert run_cli("check", str(bad)).code == 2
    assert run_cli("check", str(tmp_path / "missing.mlir")).code == 2


def test_oracle_missing_is_a_clear_error(module_file: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import placement.oracle

    monkeypatch.setattr(placement.oracle, "find_iree_opt", lambda: None)
    result = run_cli("check", "--oracle", str(module_file))
    assert result.code == 2
    assert "iree-opt" in result.stderr and "oracle" in result.stderr


def test_oracle_on_goldens_lists_the_three_known_differences(iree_opt: str) -> None:
    path = str(GOLDEN / "annotate_affinities.mlir")
    result = run_cli("check", "--split-input-file", "--oracle", "--format", "json", path)
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    diffs = doc["oracle"]["differences"]
    got = sorted((d["case"], d["op"], d["attribute"]) for d in diffs)
    assert got == [(7, "hal.tensor.barrier", "stream.affinities.results"),
                   (8, "flow.dispatch", "stream.affinities"),
                   (8, "hal.tensor.barrier", "stream.affinities.results")]
    assert doc["oracle"]["by_tag"] == {"10.1#2 pinning (PR #20945)": 3}
    strict = run_cli("check", "--split-input-file", "--strict-oracle", path)
    assert strict.code == 1


def test_oracle_tags_unused_global_q13(iree_opt: str, tmp_path: Path) -> None:
    """IREE 3.13 annotates a global nobody uses; the seed has no G for it (spec Q13, 10.1#15)."""
    src = tmp_path / "q13.mlir"
    src.write_text(
        "util.global private @unused {stream.affinity = #hal.device.promise<@dev_a>} : "
        "tensor<1xi32>\n"
        "util.func private @f() -> tensor<1xi32> {\n"
        "  %c = flow.tensor.constant {stream.affinity = #hal.device.promise<@dev_a>} "
        "dense<1> : tensor<1xi32>\n"
        "  util.return %c : tensor<1xi32>\n}\n")
    result = run_cli("check", "--oracle", "--format", "json", str(src))
    assert result.code == 0, result.stderr
    (diff,) = json.loads(result.stdout)["oracle"]["differences"]
    assert (diff["op"], diff["line"], diff["ours"], diff["tag"]) == (
        "util.global", 1, None, "10.1#15 globals without uses (Q13)")
    assert run_cli("check", "--strict-oracle", str(src)).code == 1
