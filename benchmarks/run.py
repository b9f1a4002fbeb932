"""Benchmark the annotate pipeline (parse, solve, print) on large generated modules.

For each size and engine, one worker subprocess times the three phases, so peak memory is
measured per size; `iree-opt --iree-stream-annotate-affinities` is timed on the same file
when it is found ($PLACEMENT_IREE_OPT or PATH).

    python benchmarks/run.py --sizes 1000,10000 --engines fixpoint,z3

The three phases are the small functions right below; adapt them if the pipeline API moves.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


# ------------------------------------------------------------------ the three phases
def phase_parse(text: str, filename: str) -> Any:
    """Text -> Module: parse and verify, as the CLI does (`placement.ir.load`)."""
    try:
        from placement.ir import load
    except ImportError:
        from placement.ir.parser import parse as load
    return load(text, filename)


def phase_solve(module: Any, engine: str) -> Any:
    """Module -> Solution with the named engine ("fixpoint" or "z3")."""
    from placement.annotate import solve_module

    return solve_module(module, engine)


def phase_print(module: Any, solution: Any) -> str:
    """Module + Solution -> annotated text (what `placement solve` writes)."""
    from placement.annotate import annotate_text

    return str(annotate_text(module, solution))


def count_ops(module: Any) -> int | None:
    """Number of ops in the module (without the module op itself)."""
    root = getattr(module, "root", None)
    if root is None or not hasattr(root, "walk"):
        return None
    return sum(1 for _ in root.walk()) - 1


# ------------------------------------------------------------------ worker (one size)
def _worker(path: Path, engine: str, use_tracemalloc: bool) -> dict[str, Any]:
    """Time the phases on one file in this process; memory is measured by the parent.

    The cyclic garbage collector is paused, as `placement` itself does for a run (cli.run).
    """
    gc.disable()
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
    result: dict[str, Any] = {"file": str(path), "engine": engine}
    text = path.read_text()
    t0 = time.perf_counter()
    module = phase_parse(text, str(path))
    result["parse_s"] = time.perf_counter() - t0
    result["ops"] = count_ops(module)
    try:
        t0 = time.perf_counter()
        solution = phase_solve(module, engine)
        result["solve_s"] = time.perf_counter() - t0
    except (ImportError, NotImplementedError) as exc:
        result["solve_s"] = None
        result["note"] = f"solve n/a: {type(exc).__name__}: {exc}"
        solution = None
    if solution is not None:
        try:
            t0 = time.perf_counter()
            out = phase_print(module, solution)
            result["print_s"] = time.perf_counter() - t0
            result["output_bytes"] = len(out)
        except (ImportError, NotImplementedError) as exc:
            result["print_s"] = None
            result["note"] = f"print n/a: {type(exc).__name__}: {exc}"
    if use_tracemalloc:
        import tracemalloc

        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    return result


# ------------------------------------------------------------------ measuring children
def run_measured(cmd: list[str], timeout: float) -> dict[str, Any]:
    """Run cmd; wall seconds, peak RSS (MB, from wait4), exit code, stdout, stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"rc": proc.returncode, "wall_s": wall, "peak_mb": usage.ru_maxrss / 1024,
                "timeout": timed_out.is_set(), "stdout": out.read(), "stderr": err.read()}


def find_iree_opt() -> str | None:
    """$PLACEMENT_IREE_OPT, else iree-opt on PATH (the project's shared lookup if present)."""
    try:
        from placement.oracle import find_iree_opt as shared
    except ImportError:
        return os.environ.get("PLACEMENT_IREE_OPT") or shutil.which("iree-opt")
    return shared()


def bench_ours(path: Path, engine: str, timeout: float, use_tracemalloc: bool) -> dict[str, Any]:
    """One worker subprocess for (file, engine)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path),
           "--engines", engine]
    if use_tracemalloc:
        cmd.append("--tracemalloc")
    run = run_measured(cmd, timeout)
    row: dict[str, Any] = {"engine": engine, "peak_mb": run["peak_mb"], "wall_s": run["wall_s"]}
    if run["timeout"]:
        row["error"] = f"timeout after {timeout:.0f}s"
        return row
    lines = [ln for ln in run["stdout"].splitlines() if ln.startswith("{")]
    if run["rc"] != 0 or not lines:
        tail = run["stderr"].strip().splitlines()[-1:] or ["no output"]
        row["error"] = f"exit {run['rc']}: {tail[0][:200]}"
        return row
    row.update(json.loads(lines[-1]))
    return row


def bench_iree(iree_opt: str, path: Path, timeout: float) -> dict[str, Any]:
    """`iree-opt --iree-stream-annotate-affinities FILE -o /dev/null`."""
    run = run_measured([iree_opt, "--iree-stream-annotate-affinities", str(path),
                        "-o", os.devnull], timeout)
    row = {"wall_s": run["wall_s"], "peak_mb": run["peak_mb"], "rc": run["rc"]}
    if run["timeout"]:
        row["error"] = f"timeout after {timeout:.0f}s"
    elif run["rc"] != 0:
        row["error"] = (run["stderr"].strip().splitlines() or ["failed"])[0][:200]
    return row


# ------------------------------------------------------------------ report
def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per (size, engine)."""
    head = ("size", "engine", "ops", "parse s", "solve s", "print s", "ops/s", "peak MB",
            "iree-opt s", "iree MB")
    print("  ".join(f"{h:>10}" for h in head))
    for r in rows:
        phases = [r.get("parse_s"), r.get("solve_s"), r.get("print_s")]
        ops = r.get("ops") or r["size"]
        total = sum(p for p in phases if p is not None)
        # ops/s over the whole pipeline; n/a unless all three phases ran.
        rate = ops / total if None not in phases and total > 0 else None
        iree = r.get("iree") or {}
        cells = (r["size"], r["engine"], r.get("ops"), *phases,
                 None if rate is None else int(rate), r.get("peak_mb"),
                 iree.get("wall_s"), iree.get("peak_mb"))
        print("  ".join(f"{_fmt(c, 1 if i in (7, 9) else 3):>10}" for i, c in enumerate(cells)))
        for key in ("error", "note"):
            if r.get(key):
                print(f"{'':>10}  {key}: {r[key]}")
        if iree.get("error"):
            print(f"{'':>10}  iree-opt: {iree['error']}")


def main(argv: list[str] | None = None) -> int:
    """Generate (cached) modules per size, run the workers and iree-opt, print the table."""
    from generate_large import DEFAULT_SIZES, OUT_DIR, large_path, parse_sizes

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                    help="comma-separated op counts, e.g. 1000,10k,300k")
    ap.add_argument("--engines", default="fixpoint", help="comma-separated: fixpoint,z3")
    ap.add_argument("--files", default="", help="comma-separated MLIR files instead of sizes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--devices", type=int, default=4)
    ap.add_argument("--tied-calls", action="store_true",
                    help="generate tied util.func signatures too")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per worker")
    ap.add_argument("--no-iree", action="store_true", help="do not time iree-opt")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="also report Python-heap peak (slows the phases down)")
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR, help="generated-module cache")
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]

    if args.worker is not None:
        print(json.dumps(_worker(args.worker, engines[0], args.tracemalloc)))
        return 0

    targets: list[tuple[int, Path]] = []
    if args.files:
        targets = [(0, Path(f)) for f in args.files.split(",")]
    else:
        for n in parse_sizes(args.sizes):
            t0 = time.perf_counter()
            path = large_path(n, seed=args.seed, n_devices=args.devices,
                              tied_calls=args.tied_calls, out_dir=args.out_dir)
            print(f"# {n} ops: {path} ({time.perf_counter() - t0:.1f}s to get)", flush=True)
            targets.append((n, path))
    iree_opt = None if args.no_iree else find_iree_opt()
    print(f"# iree-opt: {iree_opt or 'not found (set PLACEMENT_IREE_OPT)'}", flush=True)

    rows: list[dict[str, Any]] = []
    for size, path in targets:
        iree = bench_iree(iree_opt, path, args.timeout) if iree_opt else None
        for engine in engines:
            row = bench_ours(path, engine, args.timeout, args.tracemalloc)
            row["size"] = size or path.name
            row["iree"] = iree
            rows.append(row)
            print(f"# done {row['size']} {engine}", flush=True)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
