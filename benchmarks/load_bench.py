"""Load speed (lex + parse + verify, in-process) and whole-process `placement solve`, in CPU
seconds (user + sys, min of N runs), for several source trees side by side.

    PYTHONPATH=. .venv/bin/python benchmarks/load_bench.py \\
        --tree branch=. --tree old=/tmp/old --tree main=/tmp/main \\
        benchmarks/out/large_10000_s0_d4.mlir benchmarks/out/large_100000_s0_d4.mlir

A tree is a checkout of the project (e.g. `git archive COMMIT | tar -x -C DIR`); each run is
a fresh interpreter with PYTHONPATH at that tree. The machine is shared: the load average is
printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

_LOAD_CHILD = """
import resource, sys
from placement.ir import load
text = open(sys.argv[1], encoding="utf-8").read()
r0 = resource.getrusage(resource.RUSAGE_SELF)
load(text, sys.argv[1])
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
"""


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}


def load_cpu(tree: Path, module: Path) -> float:
    """CPU seconds of `placement.ir.load` on the module, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _LOAD_CHILD, str(module)], env=_env(tree),
                          cwd=tree, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def solve_cpu(tree: Path, module: Path) -> float:
    """CPU seconds (user + sys) of a whole `placement solve` process, output discarded."""
    # (a real file, as users write it: temporary file, fsync, rename)
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "placement", "solve", str(module), "-o",
                        os.path.join(tmp, "out.mlir")],
                       env=_env(tree), cwd=tree, capture_output=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="+", type=Path)
    ap.add_argument("--tree", action="append", required=True, help="NAME=DIR")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-solve", action="store_true", help="only the in-process load")
    args = ap.parse_args()
    trees = [(t.split("=", 1)[0], Path(t.split("=", 1)[1]).resolve()) for t in args.tree]
    print(f"load average {os.getloadavg()[0]:.1f}; CPU s, min of {args.runs}")
    print(f"{'module':28} {'measure':6} " + " ".join(f"{n:>10}" for n, _ in trees))
    for module in [m.resolve() for m in args.modules]:
        rows = [("load", load_cpu)] + ([] if args.no_solve else [("solve", solve_cpu)])
        for label, fn in rows:
            cells = [min(fn(tree, module) for _ in range(args.runs)) for _, tree in trees]
            print(f"{module.name:28} {label:6} " + " ".join(f"{c:>10.2f}" for c in cells),
                  flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
