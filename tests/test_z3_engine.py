"""The Z3 engine on IREE's lit test: every golden case with `--engine z3` and `--engine both`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOLDEN, filecheck, golden_case_ids, run_cli, split_golden
from placement.ir.parser import parse
from placement.model.constraints import build_constraints
from placement.model.z3_engine import least_model, run_z3

CASES = split_golden(GOLDEN / "annotate_affinities.mlir")


@pytest.mark.parametrize("engine", ["z3", "both"])
@pytest.mark.parametrize("case", CASES, ids=golden_case_ids(CASES))
def test_golden_case(case: str, engine: str, tmp_path: Path) -> None:
    src = tmp_path / "case.mlir"
    src.write_text(case)
    result = run_cli("solve", "--engine", engine, str(src))
    assert result.code == 0, result.stderr
    fc = filecheck(case, result.stdout, tmp_path)
    assert fc.returncode == 0, fc.stderr + fc.stdout


def test_split_input_file_same_output_for_all_engines() -> None:
    path = str(GOLDEN / "annotate_affinities.mlir")
    outs = [run_cli("solve", "--split-input-file", "--engine", e, path) for e in
            ("fixpoint", "z3", "both")]
    assert all(o.code == 0 for o in outs), [o.stderr for o in outs]
    assert outs[0].stdout == outs[1].stdout == outs[2].stdout


def test_least_model_rejects_self_supporting_cycle() -> None:
    """a <-> b with no fact: the least model is empty, though {a, b} satisfies the clauses."""
    import z3

    ctx = z3.Context()
    a, b, c = 1, 2, 3
    assert least_model(ctx, [c], [(a, b), (b, a)]) == {c}
    assert least_model(ctx, [c], [(a, b), (b, a), (c, a)]) == {a, b, c}
    assert least_model(ctx, [], [(a, b), (b, a)]) == set()


def test_no_invalid_element_on_goldens() -> None:
    """Spec 6.1: on all 47 goldens no element is invalid."""
    for case in CASES:
        module = parse(case, "case.mlir")
        solution = run_z3(module)
        assert all(s.valid for s in solution.states.values())
        assert build_constraints(module).devices  # every case has an explicit affinity
