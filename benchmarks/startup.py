"""Start-up time of `placement --version`, `--help` and `solve` of a 3-line file (wall, median).

    python benchmarks/startup.py --runs 15

Each run is a fresh `python -m placement ...` process; a bare `python -c pass` is timed the same
way as the floor the interpreter itself costs on this machine. Bytecode is cached under a
temporary PYTHONPYCACHEPREFIX (warmed by one untimed run), as an installed package would have
it even where PYTHONDONTWRITEBYTECODE is set. The target is under 0.3 s for both commands.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.3


def _time(argv: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall time of `runs` runs of argv (after one untimed warm-up run)."""
    subprocess.run(argv, env=env, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print one line per command: median wall seconds, and whether it is under the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        floor = _time([sys.executable, "-c", "pass"], env, args.runs)
        print(f"python -c pass        {floor:.3f} s (the interpreter alone)")
        tiny = Path(cache) / "tiny.mlir"
        tiny.write_text("func.func @f() {\n  return\n}\n")
        for argv in (["--version"], ["--help"], ["solve", str(tiny)]):
            t = _time([sys.executable, "-m", "placement", *argv], env, args.runs)
            verdict = "ok" if t < TARGET_S else f"over {TARGET_S} s"
            label = " ".join(argv) if argv[0] != "solve" else "solve (3 lines)"
            print(f"placement {label:<16} {t:.3f} s  {verdict}  "
                  f"(load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
