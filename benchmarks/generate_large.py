"""Large synthetic flow-level modules for benchmarks (about 1k, 10k, 100k, 300k ops).

Built with `placement.testing.generate` using settings that keep analysis cost linear in
size: many moderate functions (10-40 ops), callees drawn from a small window of nearby
functions (bounded call fan-in), shallow nesting, several devices.

    python benchmarks/generate_large.py --sizes 1000,10000 --out-dir benchmarks/out
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from placement.testing.generate import ALL_FEATURES, GenConfig, generate_from_config  # noqa: E402

DEFAULT_SIZES: tuple[int, ...] = (1_000, 10_000, 100_000, 300_000)
OUT_DIR = Path(__file__).resolve().parent / "out"

# Tied util.func signatures (`-> %arg0`) are left out by default: our parser does not read
# them yet. Pass tied_calls=True once it does.
BENCH_FEATURES: frozenset[str] = ALL_FEATURES - {"tied_calls"}


def large_config(n_ops: int, *, n_devices: int = 4, tied_calls: bool = False) -> GenConfig:
    """The generator settings used for benchmark modules of about `n_ops` ops."""
    features = ALL_FEATURES if tied_calls else BENCH_FEATURES
    return GenConfig(n_ops=n_ops, n_devices=n_devices, features=features,
                     ops_per_function=(10, 40), max_scf_depth=2, max_cf_depth=1,
                     call_window=8)


def generate_large(n_ops: int, *, seed: int = 0, n_devices: int = 4,
                   tied_calls: bool = False) -> str:
    """A benchmark module of about `n_ops` ops (deterministic for the arguments)."""
    return generate_from_config(seed, large_config(n_ops, n_devices=n_devices,
                                                   tied_calls=tied_calls))


def large_path(n_ops: int, *, seed: int = 0, n_devices: int = 4, tied_calls: bool = False,
               out_dir: Path = OUT_DIR) -> Path:
    """The cached file for these arguments, generated on first use."""
    tag = "_tied" if tied_calls else ""
    path = out_dir / f"large_{n_ops}_s{seed}_d{n_devices}{tag}.mlir"
    if not path.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(generate_large(n_ops, seed=seed, n_devices=n_devices,
                                      tied_calls=tied_calls))
        tmp.replace(path)
    return path


_TY = "tensor<4xi32>"


def _device(k: int, n_devices: int) -> str:
    return f"#hal.device.promise<@dev_{k % n_devices}>"


def generate_small_functions(n_funcs: int, *, n_devices: int = 8) -> str:
    """`n_funcs` independent public functions of three ops each (a dispatch, a transfer to a
    device, a return): the many-small-functions shape, no calls between them."""
    lines = []
    for i in range(n_funcs):
        lines += [f"util.func public @f{i}(%a: {_TY}) -> {_TY} {{",
                  f"  %0 = flow.dispatch @d{i}(%a) : ({_TY}) -> {_TY}",
                  f"  %1 = flow.tensor.transfer %0 : {_TY} to {_device(i, n_devices)}",
                  f"  util.return %1 : {_TY}",
                  "}"]
    return "\n".join(lines) + "\n"


def generate_call_chain(depth: int, *, n_devices: int = 8) -> str:
    """A public function calling a chain of `depth` private functions, each calling the next;
    the last one places its value with a transfer. Every producer walk crosses the whole
    chain below its call, so a walk per value is quadratic in `depth`."""
    lines = [f"util.func public @main(%a: {_TY}) -> {_TY} {{",
             f"  %0 = util.call @f0(%a) : ({_TY}) -> {_TY}",
             f"  util.return %0 : {_TY}",
             "}"]
    for i in range(depth):
        lines.append(f"util.func private @f{i}(%a: {_TY}) -> {_TY} {{")
        if i + 1 < depth:
            lines.append(f"  %0 = util.call @f{i + 1}(%a) : ({_TY}) -> {_TY}")
        else:
            lines.append(f"  %0 = flow.tensor.transfer %a : {_TY} to {_device(i, n_devices)}")
        lines += [f"  util.return %0 : {_TY}", "}"]
    return "\n".join(lines) + "\n"


SHAPES = {"funcs": generate_small_functions, "chain": generate_call_chain}


def shape_path(shape: str, n: int, *, n_devices: int = 8, out_dir: Path = OUT_DIR) -> Path:
    """The cached file of a special shape (`funcs`: small functions, `chain`: call chain)."""
    path = out_dir / f"{shape}_{n}_d{n_devices}.mlir"
    if not path.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(SHAPES[shape](n, n_devices=n_devices))
        tmp.replace(path)
    return path


def parse_sizes(text: str) -> list[int]:
    """`1000,10k,0.3M` -> [1000, 10000, 300000]."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        scale = 1
        if part.endswith("k"):
            part, scale = part[:-1], 1_000
        elif part.endswith("m"):
            part, scale = part[:-1], 1_000_000
        sizes.append(int(float(part) * scale))
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Write benchmark modules and print their paths."""
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                    help="comma-separated op counts (1000,10k,300k)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--devices", type=int, default=4)
    ap.add_argument("--tied-calls", action="store_true",
                    help="also generate tied util.func signatures")
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    for n in parse_sizes(args.sizes):
        path = large_path(n, seed=args.seed, n_devices=args.devices,
                          tied_calls=args.tied_calls, out_dir=args.out_dir)
        print(f"{n:>8} ops  {path.stat().st_size / 1e6:8.1f} MB  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
