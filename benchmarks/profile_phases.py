"""Per-phase CPU time of `placement solve` (fixpoint engine, seed semantics) on one module.

    python benchmarks/profile_phases.py FILE [--cprofile OUT.prof] [--semantics iree-3.13]

Phases (CPU seconds, `time.process_time`, cyclic GC off as in the CLI): load (parse + verify),
Explorer, element graph (rules), worklist solve, Solution, annotations + edits (the Rewriter;
one walk under the seed semantics, two phases under iree-3.13), render (print_ir). With
`--cprofile`, the phases after load run under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _timed(times: dict[str, float], name: str, fn: Any, *args: Any) -> Any:
    t0 = time.process_time()
    out = fn(*args)
    times[name] = time.process_time() - t0
    return out


def phases(path: Path, semantics: str, profile: cProfile.Profile | None) -> dict[str, float]:
    """Run the pipeline on `path` phase by phase; CPU seconds per phase."""
    from placement.annotate import annotate_seed, apply_annotations, compute_annotations
    from placement.baseline.fixpoint import build_graph, graph_solution, solve_graph
    from placement.ir import load
    from placement.ir.printer import print_ir

    times: dict[str, float] = {}
    module = _timed(times, "load", load, path.read_text(), str(path))
    if profile is not None:
        profile.enable()
    if semantics == "seed":
        from placement.baseline.rules import SeedRules
        from placement.ir.explorer import Explorer

        explorer = _timed(times, "explorer", Explorer, module)
        rules = SeedRules(module, explorer)
    else:
        from placement.baseline.iree313 import Iree313Rules
        from placement.iree313.explorer import Explorer313, apply_rows
        from placement.iree313.pins import pinned_values

        apply_rows(module)
        explorer = _timed(times, "explorer", Explorer313, module)
        rules = _timed(times, "rules (3.13 pins)", Iree313Rules, module, explorer)
    graph = _timed(times, "element graph", build_graph, module, rules)
    _timed(times, "solve", solve_graph, graph)
    solution = _timed(times, "solution", graph_solution, graph)
    if semantics != "seed":
        solution.semantics = semantics
        solution.pinned = _timed(times, "pinned (3.13)", pinned_values, module, explorer)
    if semantics == "seed":  # as `annotate_text`: both in one walk
        _timed(times, "annotations + edits", annotate_seed, module, solution)
    else:
        anns = _timed(times, "annotations", compute_annotations, module, solution)
        _timed(times, "edits", apply_annotations, module, anns)
    _timed(times, "render", print_ir, module)
    if profile is not None:
        profile.disable()
    times["elements"] = len(graph.elements)
    times["edges"] = sum(len(e.reads) for e in graph.elements)
    return times


def main(argv: list[str] | None = None) -> int:
    """Print the per-phase CPU seconds of one module."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path)
    ap.add_argument("--semantics", default="seed", choices=("seed", "iree-3.13"))
    ap.add_argument("--cprofile", type=Path, help="write a cProfile of the phases after load")
    args = ap.parse_args(argv)
    gc.disable()
    sys.setrecursionlimit(10000)
    profile = cProfile.Profile() if args.cprofile else None
    times = phases(args.file, args.semantics, profile)
    for name, value in times.items():
        print(f"{name:>20}  {value:.2f}" if isinstance(value, float) else f"{name:>20}  {value}")
    if profile is not None:
        profile.dump_stats(str(args.cprofile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
