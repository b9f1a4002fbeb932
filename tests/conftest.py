"""Shared test helpers: where ../shared is, the optional iree-opt oracle, running the CLI."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from placement.oracle import find_iree_opt

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PLACEMENT_SHARED", ROOT.parent / "shared")).resolve()
GOLDEN = SHARED / "golden"
CORPUS = SHARED / "corpus"
FILECHECK = str(Path(sys.executable).with_name("filecheck"))


def split_golden(path: Path) -> list[str]:
    """The cases of a lit file, split on `// -----` lines (line numbers not preserved)."""
    cases, current = [], []
    for line in path.read_text().split("\n"):
        if line.strip() == "// -----":
            cases.append("\n".join(current) + "\n")
            current = []
        else:
            current.append(line)
    cases.append("\n".join(current) + "\n")
    return cases


def golden_case_ids(cases: list[str]) -> list[str]:
    """Test ids for lit cases: the function of their CHECK-LABEL (numbered when repeated)."""
    ids: list[str] = []
    for i, case in enumerate(cases):
        m = re.search(r"CHECK-LABEL: (?:util\.func \w+ )?@([\w$.]+)", case)
        name = m.group(1) if m else f"case{i:02d}"
        ids.append(name if name not in ids else f"{name}_{i:02d}")
    return ids


@pytest.fixture
def iree_opt() -> str:
    """Path of iree-opt; the test is skipped (with the reason) when it is not installed."""
    path = find_iree_opt()
    if path is None:
        pytest.skip("iree-opt not installed (pip install -e '.[oracle]')")
    return path


@dataclass
class CliResult:
    """Exit code and captured streams of one CLI run."""

    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, stdin: str | None = None) -> CliResult:
    """Run `placement ARGS` in-process and capture its output."""
    from placement.cli import run

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = run(list(args))
    finally:
        sys.stdin = old_stdin
    return CliResult(code, out.getvalue(), err.getvalue())


def filecheck(check_text: str, output: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the filecheck package with `check_text` as the check file on `output`."""
    check_file = tmp_path / "check.mlir"
    check_file.write_text(check_text)
    return subprocess.run([FILECHECK, str(check_file)], input=output, capture_output=True,
                          text=True, check=False)
