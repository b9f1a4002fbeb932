"""The module generators: determinism, our parser, and acceptance by the real iree-opt."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from placement.ir.parser import parse
from placement.oracle import find_iree_opt
from placement.testing.generate import (
    FEATURES,
    device_names,
    generate_module,
    generate_tie_chain,
)
from placement.testing.strategies import module_cases, modules

# Tied util.func signatures (`-> %arg0`) are produced only with the `tied_calls` feature.
_TIED_SIGNATURE = re.compile(r"^\s*util\.func .*\) -> (\(|\([^\n]*, )?%arg\d", re.M)


def _iree_opt() -> str | None:
    """The iree-opt to use as oracle (see `placement.oracle.find_iree_opt`)."""
    return find_iree_opt()


def _corpus(count: int, start: int = 0) -> list[tuple[str, str]]:
    """(description, text) for `count` modules over sizes, device counts and feature sets."""
    sizes = (1, 4, 12, 30, 60, 120, 200)
    out = []
    for seed in range(start, start + count):
        rng = random.Random(seed * 7919 + 1)
        n_ops = sizes[seed % len(sizes)]
        n_devices = rng.randint(2, 16)
        features = None
        if seed % 3 == 1:
            features = frozenset(f for f in FEATURES if rng.random() < 0.6)
        text = generate_module(seed, n_ops=n_ops, n_devices=n_devices, features=features)
        feats = "all" if features is None else ",".join(sorted(features))
        out.append((f"seed={seed} n_ops={n_ops} n_devices={n_devices} features={feats}", text))
    return out


# ---------------------------------------------------------------- determinism
def test_same_arguments_give_identical_text() -> None:
    for seed in range(20):
        for n_ops, n_devices in ((10, 2), (80, 5), (300, 16)):
            a = generate_module(seed, n_ops=n_ops, n_devices=n_devices)
            b = generate_module(seed, n_ops=n_ops, n_devices=n_devices)
            assert a == b


def test_text_does_not_depend_on_hash_seed() -> None:
    code = ("import sys; from placement.testing.generate import generate_module; "
            "sys.stdout.write(''.join(generate_module(s, n_ops=120, n_devices=9) "
            "for s in range(10)))")
    outs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, check=True, cwd=Path(__file__).resolve().parent.parent)
        outs.add(proc.stdout)
    assert len(outs) == 1


def test_feature_subsets_are_deterministic() -> None:
    feats = frozenset({"calls", "cf", "scf", "dispatch", "transfer"})
    assert generate_module(3, features=feats) == generate_module(3, features=feats)


def test_tiny_functions_terminate() -> None:
    """`ops_per_function=(0, 0)` (tiny sizes) drew function budgets of 0 ops and looped
    forever in `_split_budget` (seed 70001, n_ops 0-3 among others). Run in a subprocess with
    a timeout, so a regression fails instead of hanging the suite."""
    code = ("from placement.testing.generate import generate_module\n"
            "for seed in (70001, 1, 2):\n"
            "    for n in range(4):\n"
            "        for lo, hi in ((0, 0), (0, 1), (1, 1)):\n"
            "            text = generate_module(seed, n_ops=n, n_devices=3,\n"
            "                                   ops_per_function=(lo, hi))\n"
            "            assert 'util.func' in text\n"
            "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0 and proc.stdout == "ok\n", proc.stderr[-2000:]
    # Sizes of at least one op per function are unchanged (same draws, same text).
    assert generate_module(70001, n_ops=3, ops_per_function=(1, 1)) == generate_module(
        70001, n_ops=3, ops_per_function=(1, 1))
    text = generate_module(70001, n_ops=3, ops_per_function=(0, 0))
    parse(text, "tiny")


def test_different_seeds_differ() -> None:
    texts = {generate_module(seed, n_ops=40) for seed in range(30)}
    assert len(texts) == 30


def test_tie_chain_is_deterministic_and_sized() -> None:
    text = generate_tie_chain(50)
    assert text == generate_tie_chain(50)
    assert text.count("flow.dispatch") == 50
    assert generate_tie_chain(7, kind="barrier").count("util.optimization_barrier") == 7
    assert generate_tie_chain(7, kind="select").count("arith.select") == 7


def test_unknown_feature_is_rejected() -> None:
    with pytest.raises(ValueError):
        generate_module(0, features=frozenset({"no_such_feature"}))


# ---------------------------------------------------------------- device names
@pytest.mark.parametrize("n", range(2, 17))
def test_device_names_sort_non_numerically(n: int) -> None:
    names = device_names(random.Random(n), n)
    assert len(set(names)) == n
    numbers = [int(name.split("_")[1]) for name in names]
    assert numbers == sorted(numbers)
    assert sorted(names) != names  # text order differs from numeric order (dev_10 < dev_2)


def test_module_uses_requested_devices() -> None:
    text = generate_module(11, n_ops=400, n_devices=16)
    used = set(re.findall(r"#hal\.device\.promise<@(dev_\d+)>", text))
    assert 2 <= len(used) <= 16


# ---------------------------------------------------------------- coverage of the op subset
def test_generated_modules_cover_the_op_subset() -> None:
    text = "\n".join(generate_module(seed, n_ops=300, n_devices=4) for seed in range(12))
    for needle in (
        "flow.tensor.constant", "flow.tensor.splat", "flow.tensor.clone", "flow.tensor.transfer",
        "flow.dispatch @", ") -> %", "{stream.affinity = #hal.device.promise<",
        "arith.select", "util.optimization_barrier", "util.call @", "util.global private mutable",
        "util.global.load", "util.global.store", "util.initializer", "cf.br ^", "cf.cond_br",
        "scf.if", "} else {", "scf.for", "iter_args(", "scf.while(", "scf.condition(",
        "} do {", "hal.tensor.import on(", "hal.tensor.import %", "wait(",
        "hal.tensor.export on(", "hal.tensor.alias", "hal.tensor.barrier join(",
        "util.func public", "util.func private @ext", "attributes {stream.affinity",
        "module attributes {stream.affinity",
    ):
        assert needle in text, needle
    # Recursion: some function calls itself or an earlier one.
    assert re.search(r"util\.func private @(f\d+)\([^\n]*\{\n(?:(?!\nutil\.func)[\s\S])*?"
                     r"util\.call @\1\(", text)


# ---------------------------------------------------------------- our parser
def test_our_parser_accepts_generated_modules() -> None:
    for desc, text in _corpus(120):
        parse(text, desc)


def test_our_parser_accepts_generated_modules_of_every_size() -> None:
    for seed in range(150):
        text = generate_module(seed, n_ops=(5, 40, 150)[seed % 3], n_devices=2 + seed % 15)
        parse(text, f"seed={seed}")


def test_our_parser_accepts_tied_function_signatures() -> None:
    tied = [t for _, t in _corpus(60) if _TIED_SIGNATURE.search(t)]
    assert len(tied) >= 10
    for text in tied:
        parse(text, "tied")


def test_our_parser_accepts_long_tie_chains() -> None:
    # 2000 keeps this fast; the analysis test uses generate_tie_chain(10_000).
    for kind in ("dispatch", "barrier", "select"):
        module = parse(generate_tie_chain(2_000, kind=kind), f"chain-{kind}")
        assert module is not None


@settings(max_examples=40, deadline=None)
@given(modules(max_ops=60))
def test_our_parser_accepts_drawn_modules(text: str) -> None:
    parse(text, "drawn")


@settings(max_examples=10, deadline=None)
@given(module_cases(max_ops=30))
def test_module_cases_regenerate(case: object) -> None:
    from placement.testing.strategies import ModuleCase

    assert isinstance(case, ModuleCase)
    assert generate_module(case.seed, n_ops=case.n_ops, n_devices=case.n_devices,
                           features=case.features) == case.text


# ---------------------------------------------------------------- the real iree-opt
def _run_split(iree_opt: str, chunks: list[tuple[str, str]], path: Path) -> list[str]:
    """Run iree-opt once over all chunks; return the descriptions of rejected chunks."""
    parts, starts, line = [], [], 1
    for desc, text in chunks:
        chunk = f"// {desc}\n{text}"
        starts.append(line)
        parts.append(chunk)
        line += chunk.count("\n") + 2  # the chunk, then the `// -----` line
    path.write_text("\n// -----\n".join(parts))
    proc = subprocess.run([iree_opt, "--split-input-file", str(path), "-o", os.devnull],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode == 0:
        return []
    bad = []
    for m in re.finditer(rf"{re.escape(str(path))}:(\d+):\d+: error: (.*)", proc.stderr):
        err_line = int(m.group(1))
        index = max(i for i, start in enumerate(starts) if start <= err_line)
        bad.append(f"{chunks[index][0]}: line {err_line - starts[index]}: {m.group(2)}")
    return bad or [proc.stderr[:2000]]


@pytest.mark.skipif(_iree_opt() is None,
                    reason="iree-opt not found (set PLACEMENT_IREE_OPT or put it on PATH)")
def test_iree_opt_accepts_generated_modules(tmp_path: Path) -> None:
    iree_opt = _iree_opt()
    assert iree_opt is not None
    chunks = _corpus(320)
    chunks.append(("tie chain dispatch", generate_tie_chain(200)))
    chunks.append(("tie chain barrier", generate_tie_chain(200, kind="barrier")))
    chunks.append(("tie chain select", generate_tie_chain(200, kind="select")))
    bad = _run_split(iree_opt, chunks, tmp_path / "generated.mlir")
    assert not bad, f"{len(bad)} of {len(chunks)} modules rejected:\n" + "\n".join(bad[:20])
