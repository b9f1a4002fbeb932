"""IREE's own lit test, case by case: `placement solve` on each case, FileCheck on the output."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOLDEN, filecheck, golden_case_ids, run_cli, split_golden

CASES = split_golden(GOLDEN / "annotate_affinities.mlir")


def test_golden_file_has_47_cases() -> None:
    assert len(CASES) == 47


@pytest.mark.parametrize("case", CASES, ids=golden_case_ids(CASES))
def test_golden_case(case: str, tmp_path: Path) -> None:
    src = tmp_path / "case.mlir"
    src.write_text(case)
    result = run_cli("solve", str(src))
    assert result.code == 0, result.stderr
    fc = filecheck(case, result.stdout, tmp_path)
    assert fc.returncode == 0, fc.stderr + fc.stdout


def test_golden_split_input_file_matches_per_case(tmp_path: Path) -> None:
    whole = run_cli("solve", "--split-input-file", str(GOLDEN / "annotate_affinities.mlir"))
    assert whole.code == 0, whole.stderr
    parts = whole.stdout.split("// -----\n")
    assert len(parts) == 47
    for case, part in zip(CASES, parts, strict=True):
        src = tmp_path / "c.mlir"
        src.write_text(case)
        assert run_cli("solve", str(src)).stdout == part
