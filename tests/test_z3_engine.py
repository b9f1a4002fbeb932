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


def test_minimality_proof_shrinks_a_self_supporting_candidate() -> None:
    """The proof itself (not Z3's first model) rules out a self-supporting cycle: given the
    model {a, b, c, d} of `a <-> b, c -> d` under the fact c, it must come back with the least
    model {c, d} (hand derivation: nothing supports a or b); a candidate that is already least
    (under the fact a: {a, b}) is kept, and an empty fact set keeps its empty model."""
    import z3

    from placement.model.z3_engine import prove_least

    a, b, c, d = 1, 2, 3, 4
    clauses = [(a, b), (b, a), (c, d)]
    got = prove_least(z3.Context(), [[c], [a], []], clauses, [{a, b, c, d}, {a, b}, set()])
    assert got == [{c, d}, {a, b}, set()]


def test_minimality_proof_rejects_a_non_model() -> None:
    """A candidate that violates a clause (or misses a fact) is not a model: an error, never
    an answer."""
    import z3

    from placement.model.z3_engine import MinimalityError, prove_least

    with pytest.raises(MinimalityError):
        prove_least(z3.Context(), [[1]], [(1, 2)], [{1}])
    with pytest.raises(MinimalityError):
        prove_least(z3.Context(), [[1]], [], [set()])


def test_least_models_per_fact_set() -> None:
    """Several fact sets over the same clauses (the devices of stratum 2): each gets its own
    least model (hand derivation: forward closure of its facts), none leaks into another."""
    import z3

    from placement.model.z3_engine import least_models

    clauses = [(1, 2), (2, 3), (3, 1), (4, 5), (6, 6)]
    assert least_models(z3.Context(), [[1], [4], [], [5, 6]], clauses) == [
        {1, 2, 3}, {4, 5}, set(), {5, 6}]
