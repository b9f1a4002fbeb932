"""The seed semantics' one-walk annotation (`annotate_seed`, what `placement solve` prints)
sets exactly what `apply_annotations(compute_annotations(...))` sets (what json, table,
check and place read): the two are compared on every golden case, every corpus module that
loads, and generated modules, each printed after annotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from placement.annotate import (
    annotate_seed,
    apply_annotations,
    compute_annotations,
    solve_module,
)
from placement.ir import load
from placement.ir.printer import print_ir
from placement.testing.generate import ALL_FEATURES
from placement.testing.strategies import ModuleCase, module_cases
from tests.conftest import CORPUS, GOLDEN, split_golden

CASES = split_golden(GOLDEN / "annotate_affinities.mlir")
MODULES = sorted(CORPUS.glob("*/*.mlir"))


def _both_ways(text: str, name: str) -> tuple[str, str]:
    printed = []
    for way in ("one walk", "annotations"):
        module = load(text, name)
        solution = solve_module(module, "fixpoint")
        if way == "one walk":
            annotate_seed(module, solution)
        else:
            apply_annotations(module, compute_annotations(module, solution))
        printed.append(print_ir(module))
    return printed[0], printed[1]


@pytest.mark.parametrize("index", range(len(CASES)))
def test_golden_case(index: int) -> None:
    one_walk, annotations = _both_ways(CASES[index], f"case{index}")
    assert "stream.affinit" in one_walk or "stream.affinit" not in annotations
    assert one_walk == annotations


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_corpus_module(path: Path) -> None:
    one_walk, annotations = _both_ways(path.read_text(), str(path))
    assert one_walk == annotations


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(module_cases(max_ops=80, features=ALL_FEATURES))
def test_generated_modules(case: ModuleCase) -> None:
    one_walk, annotations = _both_ways(case.text, repr(case))
    assert one_walk == annotations
