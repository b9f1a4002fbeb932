"""Batches of scenarios: file and directory arguments, in-process or `--jobs N` processes
(`concurrent.futures`), a progress bar on a terminal. Each worker process keeps the bases it
has parsed and analysed (`placement.whatif.run`), so scenarios on one base re-use them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from placement.diagnostics import PlacementError


@dataclass
class Done:
    """One scenario's outcome as it crosses a process boundary: report, MLIR text, or error."""

    path: Path
    doc: dict[str, Any] | None
    mlir: str | None
    error: str | None


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; directories as their `*.toml` files in name order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(p.glob("*.toml")))
        else:
            out.append(p)
    return out


def run_one(path: Path, want_mlir: bool = False, explain_limit: int = 8,
            bound: bool = False) -> Done:
    """Run one scenario file (arguments: `placement.whatif.run.run_scenario`); a bad
    scenario is its rendered diagnostic."""
    from placement.whatif.run import run_file

    try:
        outcome = run_file(path, explain_limit, want_mlir, bound)
    except PlacementError as e:
        return Done(path, None, None, e.render())
    return Done(path, outcome.doc, outcome.mlir, None)


def _progress(total: int) -> Any:
    if not sys.stderr.isatty() or total < 2:
        return None
    from rich.console import Console
    from rich.progress import Progress

    progress = Progress(console=Console(file=sys.stderr), transient=True)
    progress.start()
    progress.add_task("what-if", total=total)
    return progress


def run_batch(paths: list[Path], jobs: int, want_mlir: bool = False, explain_limit: int = 8,
              bound: bool = False) -> Iterator[Done]:
    """Every scenario in order (results are yielded in input order)."""
    progress = _progress(len(paths))
    try:
        if jobs <= 1:
            results: Iterator[Done] = (run_one(p, want_mlir, explain_limit, bound)
                                       for p in paths)
            for done in results:
                if progress is not None:
                    progress.advance(0)
                yield done
            return
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            n = len(paths)
            for done in pool.map(run_one, paths, [want_mlir] * n, [explain_limit] * n,
                                 [bound] * n):
                if progress is not None:
                    progress.advance(0)
                yield done
    finally:
        if progress is not None:
            progress.stop()
