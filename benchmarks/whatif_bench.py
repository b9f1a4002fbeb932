"""What-if throughput: a batch of scenarios on one generated base (default 10k ops, 20
scenarios), in one process, as `placement whatif DIR` runs them for the comparison matrix (no
derivations: the matrix prints none; no IREE 3.13 bound check: `--iree313-bound` is off).

Each scenario sets the module default, a budget, pins a dispatch and a global to other
devices and unpins another global. The first scenario parses and analyses the base; the
others re-use it (`placement.whatif.run`: shared IR, journalled edits, incremental re-solve).
`--full` runs the same scenarios the pre-incremental way (a fresh parse and a full re-solve
each, and the bound check that path always ran) for the before/after comparison.

    python benchmarks/whatif_bench.py --ops 10000 --count 20
    python benchmarks/whatif_bench.py --ops 10000 --count 3 --full
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate_large import large_path  # noqa: E402
from placement.whatif.run import run_file  # noqa: E402


def scenarios(base: Path, count: int, out: Path) -> list[Path]:
    """`count` scenario files on `base` in `out`."""
    text = base.read_text()
    devices = sorted(set(re.findall(r"#hal\.device\.(?:affinity|promise)<(@[\w$.-]+)", text)))
    dispatches = [(n + 1, line.index("%") + 1) for n, line in enumerate(text.splitlines())
                  if " = flow.dispatch" in line]
    globals_ = re.findall(r"util\.global private (?:mutable )?(@g\d+)", text)
    paths = []
    for i in range(count):
        dev, other = devices[i % len(devices)], devices[(i + 1) % len(devices)]
        line, col = dispatches[(i * 37) % len(dispatches)]
        p = out / f"s{i:02}.toml"
        p.write_text(f'base = "{base}"\n'
                     f'[[edit]]\nkind = "set_default"\ndevice = "{dev}"\n'
                     f'[[edit]]\nkind = "budget"\ndevice = "{dev}"\nbytes = "{i + 1}K"\n'
                     f'[[edit]]\nkind = "pin"\nop = "{line}:{col}"\ndevice = "{other}"\n'
                     f'[[edit]]\nkind = "pin"\nglobal = "{globals_[i % len(globals_)]}"\n'
                     f'device = "{other}"\n'
                     f'[[edit]]\nkind = "unpin"\nglobal = "{globals_[(i + 5) % len(globals_)]}"\n')
        paths.append(p)
    return paths


def main() -> None:
    """Write the scenarios, run them, print seconds per scenario (CPU and wall)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=10_000)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--full", action="store_true", help="the pre-incremental path")
    args = ap.parse_args()
    base = large_path(args.ops)
    with tempfile.TemporaryDirectory() as tmp:
        paths = scenarios(base, args.count, Path(tmp))
        kwargs = {"explain_limit": 0, "incremental": not args.full, "bound": args.full}
        cpu, wall = time.process_time(), time.perf_counter()
        first = run_file(paths[0], **kwargs)  # type: ignore[arg-type]
        first_cpu, first_wall = time.process_time() - cpu, time.perf_counter() - wall
        cpu, wall = time.process_time(), time.perf_counter()
        incremental = sum(run_file(p, **kwargs).incremental  # type: ignore[arg-type]
                          for p in paths[1:])
        rest_cpu, rest_wall = time.process_time() - cpu, time.perf_counter() - wall
    n = len(paths) - 1
    mode = "full" if args.full else "incremental"
    print(f"base {base.name}, {mode}: first scenario {first_cpu:.2f} s CPU ({first_wall:.2f} s "
          f"wall; base parsed and analysed, incremental={first.incremental}), then {n} in "
          f"{rest_cpu:.2f} s CPU ({rest_wall:.2f} s wall): {rest_cpu / max(n, 1):.3f} s CPU "
          f"per scenario, {n / max(rest_wall, 1e-9):.2f} scenarios/s; {incremental}/{n} "
          "re-solved incrementally")


if __name__ == "__main__":
    main()
