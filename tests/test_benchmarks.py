"""benchmarks/run.py prints the issue's table (a smoke test of its shape, not of timings)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT

COLUMNS = ["row", "placement CPU s", "iree-opt CPU s", "ratio", "placement peak RSS",
           "iree-opt peak RSS", "target", "met"]


def test_run_quick_prints_every_column_and_row() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
                           "--rows", "solve,chain", "--no-iree", "--timeout", "120"],
                          capture_output=True, text=True, check=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    lines = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert [c.strip() for c in lines[0].strip("|").split("|")] == COLUMNS
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    assert [r[0] for r in rows] == ["200 ops", "200-deep call chain"]
    for r in rows:
        assert len(r) == len(COLUMNS)
        assert float(r[1]) > 0 and r[4].endswith(" MB")  # a real run was measured
