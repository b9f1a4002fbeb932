"""What-if throughput: 20 scenarios on one generated base (default 10k ops), in one process, so
the base's text and analysis are loaded once and re-used (placement.whatif.run caches them).

    python benchmarks/whatif_bench.py --ops 10000 --count 20
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


def main() -> None:
    """Write the scenarios, run them, print scenarios per second."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=10_000)
    ap.add_argument("--count", type=int, default=20)
    args = ap.parse_args()
    base = large_path(args.ops)
    named = re.findall(r"#hal\.device\.(?:affinity|promise)<(@[\w$.-]+)", base.read_text())
    devices = sorted(set(named))
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.count):
            dev = devices[i % len(devices)]
            p = Path(tmp) / f"s{i:02}.toml"
            p.write_text(f'base = "{base}"\n[[edit]]\nkind = "set_default"\ndevice = "{dev}"\n'
                         f'[[edit]]\nkind = "budget"\ndevice = "{dev}"\nbytes = "{i + 1}M"\n')
            paths.append(p)
        start = time.perf_counter()
        run_file(paths[0], explain_limit=0)
        first = time.perf_counter() - start
        start = time.perf_counter()
        for p in paths[1:]:
            run_file(p, explain_limit=0)
        rest = time.perf_counter() - start
    n = len(paths) - 1
    print(f"base {base.name}: first scenario {first:.2f} s (base analysed), then {n} in "
          f"{rest:.2f} s: {n / rest:.2f} scenarios/s ({rest / n:.2f} s per scenario)")


if __name__ == "__main__":
    main()
