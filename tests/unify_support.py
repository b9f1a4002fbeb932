"""Shared helpers of the unify tests: where the shared material is, the oracle, the CLI."""

from __future__ import annotations

import os
import re
from pathlib import Path

from typer.testing import CliRunner

from placement.commands.unify import make_app
from placement.oracle import find_iree_opt

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PLACEMENT_SHARED", ROOT.parent / "shared"))
GOLDEN = SHARED / "golden" / "unify_encoding_for_globals.mlir"
CORPUS = SHARED / "corpus" / "stream"
CORPUS_MODULES = sorted(p.stem for p in CORPUS.glob("*.mlir")) if CORPUS.is_dir() else []


def golden_cases() -> list[str]:
    """The golden file's cases, split on `// -----` lines (as --split-input-file does)."""
    return re.split(r"^// -----[ \t]*$", GOLDEN.read_text(), flags=re.MULTILINE)


def iree_opt() -> str | None:
    """The oracle `iree-opt`, if installed (see `placement.oracle.find_iree_opt`)."""
    return find_iree_opt()


def run_cli(*args: str) -> tuple[int, str, str]:
    """Invoke `placement unify ...` through typer; (exit code, stdout, stderr)."""
    runner = CliRunner()
    result = runner.invoke(make_app(), ["unify", *args])
    stderr = result.stderr if result.stderr_bytes is not None else ""
    return result.exit_code, result.stdout, stderr
