"""End to end: real modules placed under a scenario that moves work compile with the real
`iree-compile` and run with `iree-run-module` on local-task devices, with outputs bit-identical
to the unplaced module's.

Needs the `oracle` extra (iree-base-compiler and iree-base-runtime 3.13.0); `iree-run-module`
is found like placement.oracle finds iree-opt: `PLACEMENT_IREE_RUN_MODULE`, next to the Python
interpreter, or on PATH.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS
from placement.annotate import solve_module
from placement.ir import load
from placement.model.place_cpsat import solve
from placement.oracle import find_iree_opt
from placement.place.pins import choose_pins, derived_lists, render_pins
from placement.place.problem import Options, build_problem


def find_tool(name: str, env: str) -> str | None:
    """A tool from `env`, next to the interpreter or iree-opt, or on PATH."""
    path = os.environ.get(env)
    if path:
        return path if os.access(path, os.X_OK) else None
    for folder in (Path(sys.executable).parent, Path(find_iree_opt() or "").parent):
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def compile_and_run_tools() -> tuple[str, str]:
    """iree-compile and iree-run-module, or skip the calling test (the oracle extra)."""
    compile_ = find_tool("iree-compile", "PLACEMENT_IREE_COMPILE")
    run = find_tool("iree-run-module", "PLACEMENT_IREE_RUN_MODULE")
    if compile_ is None or run is None:
        pytest.skip("iree-compile / iree-run-module not installed (pip install -e '.[oracle]'"
                    " or set PLACEMENT_IREE_COMPILE / PLACEMENT_IREE_RUN_MODULE)")
    return compile_, run


@pytest.fixture(scope="module")
def tools() -> tuple[str, str]:
    return compile_and_run_tools()


_PARAM = re.compile(r'#stream\.parameter\.named<"(\w+)"::"(\w+)"> : tensor<([\dx]+)xf32>')
_GLOBAL_PIN = re.compile(r"(util\.global private (?:mutable )?@\w+) \{stream\.affinity = [^}]*\}")
_DECL = re.compile(r'iree\.abi\.declaration = "(?:sync|async) func @(\w+)\(([^"]*)\) ->')


def _shape(text: str) -> list[int]:
    return [int(x) for x in text.split("x")]


def write_safetensors(path: Path, tensors: dict[str, list[int]], seed: int) -> None:
    """A safetensors file of f32 tensors with seeded random values."""
    rng = random.Random(seed)
    header: dict[str, object] = {}
    blobs = []
    offset = 0
    for name, shape in tensors.items():
        n = 1
        for d in shape:
            n *= d
        blob = struct.pack(f"<{n}f", *(rng.uniform(-1, 1) for _ in range(n)))
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + n * 4]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    path.write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def _inputs(text: str, folder: Path, seed: int) -> tuple[str, list[str]]:
    m = _DECL.search(text)
    assert m is not None
    func, args = m.group(1), m.group(2)
    rng = random.Random(seed)
    flags = []
    for i, ty in enumerate(re.findall(r"%\w+: (tensor<[^>]*>|index)", args)):
        if ty == "index":
            flags.append("--input=3")
            continue
        shape = ty[len("tensor<"):-len("xf32>")]
        n = 1
        for d in _shape(shape):
            n *= d
        data = folder / f"in{i}.bin"
        data.write_bytes(struct.pack(f"<{n}f", *(rng.uniform(-1, 1) for _ in range(n))))
        flags.append(f"--input={shape}xf32=@{data}")
    return func, flags


def _run(tools: tuple[str, str], mlir: Path, text: str, folder: Path) -> bytes:
    compile_, run = tools
    vmfb = mlir.with_suffix(".vmfb")
    subprocess.run([compile_, "--compile-from=flow", str(mlir), "-o", str(vmfb)], check=True,
                   capture_output=True, text=True)
    params: dict[str, dict[str, list[int]]] = {}
    for scope, key, shape in _PARAM.findall(text):
        params.setdefault(scope, {})[key] = _shape(shape)
    flags = []
    for scope, tensors in sorted(params.items()):
        file = folder / f"{scope}.safetensors"
        write_safetensors(file, tensors, 7)
        flags.append(f"--parameters={scope}={file}")
    func, inputs = _inputs(text, folder, 11)
    devices = re.findall(r"util\.global private @\w+ = #hal\.device\.target", text)
    out = mlir.with_suffix(".out.npy")
    cmd = [run, f"--module={vmfb}", f"--function={func}", *inputs, *flags,
           *(["--device=local-task"] * len(devices)), f"--output=@{out}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return out.read_bytes()


def _scenario(text: str) -> tuple[str, Options]:
    """The weights' pins removed and a budget on the first device at half the weights: the
    solver has to move weights (and the work that reads them) to the other devices."""
    free = _GLOBAL_PIN.sub(r"\1", text)
    weights = 0
    for _, _, shape in _PARAM.findall(text):
        n = 4
        for d in _shape(shape):
            n *= d
        weights += n
    first = re.search(r"util\.global private @(\w+) = #hal\.device\.target", text)
    assert first is not None
    return free, Options(candidates="all", budgets={first.group(1): weights // 2})


MODULES = ["mlp_pipeline_2dev", "rnn_loop_2dev", "attention_tp4"]


@pytest.mark.parametrize("name", MODULES)
def test_placed_module_runs_bit_identical(name: str, tools: tuple[str, str],
                                         tmp_path: Path) -> None:
    text = (CORPUS / "real" / f"{name}.mlir").read_text()
    free, options = _scenario(text)
    module = load(free)
    problem = build_problem(module, solve_module(module), options)
    result = solve(problem, 30)
    assert result.status == "OPTIMAL" and result.place is not None
    pins = choose_pins(module, problem, result.place)
    placed = render_pins(module, pins.pins)
    # The scenario moves work: some op runs elsewhere than in the original module.
    before = load(text)
    after = load(placed)
    old, new = derived_lists(before), derived_lists(after)
    moved = [a for a, b in zip(before.root.walk(), after.root.walk(), strict=True)
             if id(a) in old and old[id(a)] != new.get(id(b))]
    assert moved
    (tmp_path / "orig").mkdir()
    (tmp_path / "placed").mkdir()
    orig_path = tmp_path / "orig" / "m.mlir"
    orig_path.write_text(text)
    placed_path = tmp_path / "placed" / "m.mlir"
    placed_path.write_text(placed)
    want = _run(tools, orig_path, text, tmp_path / "orig")
    got = _run(tools, placed_path, placed, tmp_path / "placed")
    assert got == want
