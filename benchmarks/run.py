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
        # (in this tree: `python -m` puts the working directory ahead of PYTHONPATH)
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, cwd=ROOT)
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
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phases", "--worker", str(path),
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


def phases_main(argv: list[str] | None = None) -> int:
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


# ------------------------------------------------------------------ the table
# row key -> (label, placement argv after `placement`, whether iree-opt runs the same file,
# target). `{f}` is the module; sizes scale the solve rows, the other rows use `big`.
TARGET_RATIO = 1.0  # issue 12: placement no slower than iree-opt (CPU) where none is below


def row_target(key: str, label: str) -> tuple[str, float | None, float | None, bool]:
    """Issue 12's target of a row: (text, CPU ratio bound to iree-opt, absolute CPU bound in s,
    whether the peak RSS must also be at most iree-opt's)."""
    if key == "solve":
        ratio = {"100k ops": 0.5, "300k ops": 0.25}.get(label, TARGET_RATIO)
        return f"ratio <= {ratio:g}, peak <= iree-opt's", ratio, None, True
    if key == "funcs":
        return f"ratio <= {TARGET_RATIO:g}, peak <= iree-opt's", TARGET_RATIO, None, True
    if key == "chain":
        return "ratio <= 1, < 30 s", TARGET_RATIO, 30.0, False
    if key == "z3":
        return "< 30 s, < 1.5 GB", None, 30.0, False
    if key == "check":
        return "< 60 s", None, 60.0, False
    return "-", None, None, False


def _row_specs(sizes: list[int], big: int, place_sizes: list[int],
               whatif_ops: int, rows: set[str]) -> list[tuple[str, str, Path, list[str], bool]]:
    """(key, label, module, placement argv, iree-opt too) for every requested row."""
    from generate_large import large_path, shape_path
    from place_bench import place_module

    out: list[tuple[str, str, Path, list[str], bool]] = []
    solve = ["solve", "{f}", "-o", os.devnull]
    if "solve" in rows:
        for n in sizes:
            out.append(("solve", f"{_k(n)} ops", large_path(n, n_devices=8), solve, True))
    if "funcs" in rows:
        out.append(("funcs", f"{_k(big)} independent small functions",
                    shape_path("funcs", big), solve, True))
    if "chain" in rows:
        out.append(("chain", f"{_k(big)}-deep call chain", shape_path("chain", big), solve,
                    True))
    if "z3" in rows:
        out.append(("z3", f"--engine z3 {_k(big)}", large_path(big, n_devices=8),
                    [*solve, "--engine", "z3"], True))
    if "check" in rows:
        out.append(("check", f"check {_k(big)}", large_path(big, n_devices=8),
                    ["check", "{f}", "-o", os.devnull], True))
    if "place" in rows:
        for n in place_sizes:
            out.append(("place", f"place {_k(n)}", place_module(n),
                        ["place", "{f}", "-f", "json", "-o", os.devnull], False))
    return out


def _k(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def measure(argv: list[str], timeout: float, env: dict[str, str] | None = None
            ) -> tuple[float, float, bool]:
    """(user+sys CPU s, peak RSS MB, killed) of one whole process run, by /usr/bin/time (a
    fork of this large process would count this process's pages in the child's peak)."""
    import signal

    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%U %S %M", "-o", out.name, *argv],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return timeout, 0.0, True
        user, system, rss_kb = out.read().split()[-3:]
    return float(user) + float(system), int(rss_kb) / 1024, False


def _best(runs: list[tuple[float, float, bool]], timeout: float) -> tuple[str, str, float | None]:
    if any(killed for _, _, killed in runs):
        return f"> {timeout:g} s (killed)", "-", None
    cpu = min(c for c, _, _ in runs)
    return f"{cpu:.2f}", f"{min(m for _, m, _ in runs):.0f} MB", cpu


def whatif_rate(ops: int, count: int, timeout: float, env: dict[str, str]) -> str:
    """Scenarios per second on a base of `ops` ops (benchmarks/whatif_bench.py)."""
    import re

    try:
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "whatif_bench.py"),
                               "--ops", str(ops), "--count", str(count)], env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"> {timeout:g} s (killed)"
    found = re.search(r"([0-9.]+) scenarios/s", done.stdout)
    return f"{found.group(1)} scenarios/s" if found else f"failed: {done.stderr[-200:]}"


def table_main(argv: list[str] | None = None) -> int:
    """Print the issue-12 table: placement vs iree-opt, CPU and peak RSS, per row."""
    from generate_large import parse_sizes

    ap = argparse.ArgumentParser(description="The issue-12 performance table (whole "
                                 "processes, min of --repeat alternating runs).")
    ap.add_argument("--sizes", default="10k,100k,300k", help="solve rows")
    ap.add_argument("--big", default="100k", help="size of the funcs/chain/z3/check rows")
    ap.add_argument("--place-sizes", default="1k,10k,100k")
    ap.add_argument("--whatif-ops", default="10k")
    ap.add_argument("--whatif-count", type=int, default=10)
    ap.add_argument("--rows", default="solve,funcs,chain,z3,check,place,whatif")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    ap.add_argument("--no-iree", action="store_true")
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes, one run each (a smoke test, not a measurement)")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes = args.big = args.place_sizes = args.whatif_ops = "200"
        args.whatif_count, args.repeat = 3, 1
    rows = set(args.rows.split(","))
    sizes, big = parse_sizes(args.sizes), parse_sizes(args.big)[0]
    iree_opt = None if args.no_iree else find_iree_opt()
    cache = tempfile.mkdtemp(prefix="placement-pyc-")  # bytecode cached, as when installed
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=cache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; min of {args.repeat} "
          f"alternating runs, user+sys CPU and peak RSS of the whole process; "
          f"iree-opt: {iree_opt or 'not found'}", flush=True)
    header = ["row", "placement CPU s", "iree-opt CPU s", "ratio", "placement peak RSS",
              "iree-opt peak RSS", "target", "met"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header), flush=True)
    specs = _row_specs(sizes, big, parse_sizes(args.place_sizes),
                       parse_sizes(args.whatif_ops)[0], rows)
    subprocess.run([sys.executable, "-m", "placement", "--version"], env=env, check=False,
                   capture_output=True)  # warm the bytecode cache
    scratch = tempfile.mkdtemp(prefix="placement-bench-")
    for key, label, path, cmd, with_iree in specs:
        ours_argv = [sys.executable, "-m", "placement", *(a.format(f=path) for a in cmd)]
        # iree-opt deletes a failed output file: it writes to a scratch file, never /dev/null.
        theirs_argv = ([iree_opt, "--iree-stream-annotate-affinities", str(path), "-o",
                        str(Path(scratch) / "iree-opt-out.mlir")]
                       if with_iree and iree_opt else None)
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(measure(ours_argv, args.timeout, env))
            if theirs_argv is not None:
                theirs.append(measure(theirs_argv, args.timeout))
        o_cpu, o_rss, o = _best(ours, args.timeout)
        t_cpu, t_rss, t = _best(theirs, args.timeout) if theirs else ("-", "-", None)
        ratio = f"{o / t:.2f}" if o is not None and t else "-"
        target, bound, limit, memory = row_target(key, label)
        met = "-"
        if o is not None and target != "-":
            o_mb = min(m for _, m, _ in ours)
            checks = []
            if bound is not None and t is not None:
                checks.append(o / t <= bound)
                if memory:
                    checks.append(o_mb <= min(m for _, m, _ in theirs))
            if limit is not None:
                checks.append(o < limit)
            if key == "z3":
                checks.append(o_mb < 1500)
            met = "yes" if checks and all(checks) else "no" if checks else "-"
        if o is not None and t is None and theirs:  # iree-opt killed, we finished
            ratio = "< 1"
        print(f"| {label} | {o_cpu} | {t_cpu} | {ratio} | {o_rss} | {t_rss} | {target} | "
              f"{met} |", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    if "whatif" in rows:
        rate = whatif_rate(parse_sizes(args.whatif_ops)[0], args.whatif_count,
                           args.timeout, env)
        print(f"| whatif on {args.whatif_ops} base | {rate} | - | - | - | - | - | - |")
    shutil.rmtree(cache, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The issue's table; `run.py --phases ...` is the per-phase benchmark."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--phases"]:
        return phases_main(argv[1:])
    return table_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
