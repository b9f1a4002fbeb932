"""`placement place` times at about 1k, 10k and 100k ops (generate_large.py's settings, without
module- and function-level pins).

Phases: parse, fixpoint, problem extraction, CP-SAT (status, gap), pins (the re-derivation
rounds), in one process with the cyclic GC paused as the CLI does. Every unpinned decision may
take any device (`--candidates all`) and the first device has a budget of half the weights, so
the solver has real work. Target: 100k ops in under 60 s, OPTIMAL or a gap under 1 %.

    python benchmarks/place_bench.py --sizes 1k,10k,100k [--no-pins] [--budget-fraction F]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate_large import OUT_DIR, large_config, parse_sizes  # noqa: E402
from placement.annotate import solve_module  # noqa: E402
from placement.ir import load  # noqa: E402
from placement.model.place_cpsat import solve  # noqa: E402
from placement.place.pins import choose_pins  # noqa: E402
from placement.place.problem import Options, build_problem  # noqa: E402
from placement.testing.generate import generate_from_config  # noqa: E402

# Module- and function-level `stream.affinity` pin every op below them: left out, so that
# most ops are the solver's to place (per-op pins and HAL pins stay).
PINNED_SCOPES = frozenset({"module_affinity", "func_affinity"})


def place_module(n_ops: int) -> Path:
    """The cached benchmark module of about `n_ops` ops for `place`."""
    path = OUT_DIR / f"place_{n_ops}.mlir"
    if not path.exists():
        cfg = large_config(n_ops)
        cfg = dataclasses.replace(cfg, features=cfg.features - PINNED_SCOPES)
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(generate_from_config(0, cfg))
    return path


def bench(n_ops: int, pins: bool, time_limit: float, fraction: float = 0.5) -> dict[str, object]:
    """Time every phase of a place run on the benchmark module of about `n_ops` ops."""
    path = place_module(n_ops)
    text = path.read_text()
    row: dict[str, object] = {"ops": n_ops}
    t = time.perf_counter()
    module = load(text, str(path))
    row["parse_s"] = time.perf_counter() - t
    t = time.perf_counter()
    solution = solve_module(module, "fixpoint")
    row["fixpoint_s"] = time.perf_counter() - t
    t = time.perf_counter()
    first = build_problem(module, solution, Options())
    name = first.names[0].lstrip("@")
    weights = sum(d.storage for d in first.decisions if d.is_global)
    budget = weights // 2 if fraction == 0.5 else int(weights * fraction)
    problem = build_problem(module, solution, Options(candidates="all",
                                                      budgets={name: budget}))
    row["problem_s"] = time.perf_counter() - t
    cpu = time.process_time()
    result = solve(problem, time_limit)
    row.update(solve_s=result.seconds, solve_cpu=time.process_time() - cpu,
               status=result.status, objective=result.objective, bound=result.bound,
               gap=result.gap,
               decisions=result.size["decisions"], free=result.size["free_groups"],
               parts=result.size["components"], cpsat_variables=result.size["variables"])
    if pins and result.place is not None:
        t = time.perf_counter()
        chosen = choose_pins(module, problem, result.place)
        row["pins_s"] = time.perf_counter() - t
        row["pins"] = len(chosen.pins)
        row["rounds"] = chosen.rounds
        row["unrealized"] = len(chosen.unrealized)
    row["total_s"] = sum(v for k, v in row.items() if k.endswith("_s") and isinstance(v, float))
    return row


def main() -> None:
    """Print one line per size."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1k,10k,100k")
    ap.add_argument("--no-pins", action="store_true", help="skip the pin rounds")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--budget-fraction", type=float, default=0.5,
                    help="the first device's budget as a fraction of the weights' bytes")
    args = ap.parse_args()
    gc.disable()
    for n in parse_sizes(args.sizes):
        row = bench(n, not args.no_pins, args.time_limit, args.budget_fraction)
        print("  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
