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


def e2e_tools_or_skip() -> None:
    """Skip (with the reason) when the oracle extra's compiler and runtime are missing."""
    import pytest

    from placement.e2e.tools import missing_tools

    missing = missing_tools()
    if missing:
        pytest.skip("end-to-end check needs the oracle extra (pip install -e '.[oracle]'): "
                    "missing " + ", ".join(missing))


SOURCES = SHARED / "corpus" / "stream" / "src"
SOURCE_NAMES = sorted(p.stem for p in SOURCES.glob("*.mlir")) if SOURCES.is_dir() else []


def built_module(source: str, target_name: str) -> str:
    """The stream-level module the corpus recipe builds from `src/SOURCE.mlir` for a target
    of `placement.e2e.recipes` (RUNNABLE_TARGETS, COMPILE_ONLY_TARGETS). When IREE itself cannot build it (the
    recipe's own compile fails before our code runs), the test is skipped with the
    compiler's first error line: there is no module to check."""
    import pytest

    from placement.e2e.recipes import COMPILE_ONLY_TARGETS, RUNNABLE_TARGETS, build_stream_module

    target = next(t for t in RUNNABLE_TARGETS + COMPILE_ONLY_TARGETS if t.name == target_name)
    text, error = build_stream_module((SOURCES / f"{source}.mlir").read_text(), target)
    if error:
        pytest.skip(f"IREE 3.13 cannot build {source} for {target_name}: {error[:200]}")
    return text


def unified_text(module_text: str, policy: str = "optimal") -> str:
    """`placement unify --policy POLICY` output for a module text."""
    from placement.encoding.unify import rewritten, unify_module
    from placement.ir import load

    result = unify_module(load(module_text, "<module>"), policy)
    return rewritten(result)


def verify_unified(original: str, unified: str):  # type: ignore[no-untyped-def]
    """The end-to-end check (`placement.e2e.verify.verify`) of a unified module; skips when
    the oracle extra is missing."""
    from placement.e2e.verify import verify

    e2e_tools_or_skip()
    return verify(original, unified)
