"""End to end: `placement place --replicate` replicates a weight onto both devices of a module,
and the placed module compiles with the real `iree-compile --compile-from=flow`, runs with
`iree-run-module` on one `--device=local-task` per device, and gives outputs bit-identical to
the unplaced module's (oracle extra; the compile and run helpers are tests/test_place_e2e.py's).

The module, tests/data/replicate_tied_2dev.mlir, is four weight-tied layers (one executable,
`tanh(x @ w)`, from the shape of ../shared/corpus/real/mlp_pipeline_2dev.mlir) alternating
device_a, device_b, device_a, device_b, each dispatch pinned by `stream.affinity`, each layer
with its own `util.global.load` of the one parameter-backed global `@w` (64x64xf32, 16384
bytes), which has no pin. The activations (8x64xf32, 2048 bytes) move by the module's own
`flow.tensor.transfer`s (fixed decisions: 4 x 2048 = 8192 bytes in every placement).

Why the cost model (docs/place.md) replicates, derived by hand: each load is a flow, and a flow
costs its bytes once per device that consumes it without holding a copy.
* `@w` on device_a alone: the loads of layers 2 and 4 are read on device_b, 2 x 16384 = 32768
  bytes of transfer; total 8192 + 32768 = 40960 (this is IREE's choice, the lead device).
* `@w` on device_b alone: the loads of layers 1 and 3 move, the same 40960.
* `@w` on both: no load moves; storage `1 * 16384 * (2 - 1)` = 16384; total 8192 + 16384 =
  24576, the optimum (16384 cheaper than IREE's). With one load read on both devices the two
  would tie (16384 either way) and the tie-break keeps IREE's choice: hence one load per layer.

Variant `initializer`: `@w` is stored by a `util.initializer` (a dense constant) instead of
being a parameter. The store is a consumer on every replica, so replicating now also moves the
stored value to device_b (16384) and, at the default storage weight, ties with one device
(8192 + 16384 + 16384 = 40960); with `--storage-weight 0` replication costs 8192 + 16384 =
24576 against 40960. The emitted copy's initializer must run after the original's store.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from test_place_e2e import _run, compile_and_run_tools

from conftest import run_cli
from placement.oracle import find_iree_opt, run_iree_opt

MODULE = Path(__file__).parent / "data" / "replicate_tied_2dev.mlir"
A, B = "#hal.device.affinity<@device_a>", "#hal.device.affinity<@device_b>"
W_BYTES, ACT_BYTES = 64 * 64 * 4, 8 * 64 * 4
PARAM = 'util.global private @w = #stream.parameter.named<"model"::"w"> : tensor<64x64xf32>'
STORED = """util.global private @w : tensor<64x64xf32>
  util.initializer {
    %c = arith.constant dense<0.03125> : tensor<64x64xf32>
    util.global.store %c, @w : tensor<64x64xf32>
    util.return
  }"""
# variant -> (extra `place` options, chosen transfer bytes, chosen storage, single-device cost)
VARIANTS: dict[str, tuple[list[str], int, int, int]] = {
    "parameter": ([], 4 * ACT_BYTES, W_BYTES, 4 * ACT_BYTES + 2 * W_BYTES),
    "initializer": (["--storage-weight", "0"], 4 * ACT_BYTES + W_BYTES, 0,
                    4 * ACT_BYTES + 2 * W_BYTES),
}


def _module(variant: str, folder: Path) -> Path:
    text = MODULE.read_text()
    assert PARAM in text
    if variant == "initializer":
        text = text.replace(PARAM, STORED)
    path = folder / "input.mlir"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def iree_tools() -> tuple[str, str]:
    return compile_and_run_tools()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_place_replicates_the_tied_weight_by_the_hand_derived_costs(variant: str,
                                                                    tmp_path: Path) -> None:
    path = _module(variant, tmp_path)
    extra, transfer, storage, single_cost = VARIANTS[variant]
    res = run_cli("place", str(path), "--replicate", *extra, "-f", "json")
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["status"] == "OPTIMAL"
    w = next(d for d in doc["decisions"] if d["kind"] == "global" and d["label"] == "@w")
    assert w["choice"] == [A, B] and w["iree"] == A
    assert doc["chosen"]["transfer_bytes"] == transfer
    assert doc["chosen"]["storage"] == storage
    assert doc["chosen"]["cost"] == transfer + storage
    iree = next(b for b in doc["baselines"] if b["name"] == "iree")
    assert iree["cost"] == single_cost
    # Without --replicate one device must hold @w and two loads move.
    single = json.loads(run_cli("place", str(path), *extra, "-f", "json").stdout)
    assert single["chosen"]["cost"] == single_cost


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_replicated_module_runs_bit_identical(variant: str, iree_tools: tuple[str, str],
                                              tmp_path: Path) -> None:
    path = _module(variant, tmp_path)
    text = path.read_text()
    res = run_cli("place", str(path), "--replicate", *VARIANTS[variant][0])
    assert res.code == 0, res.stderr
    placed = res.stdout
    if find_iree_opt() is not None:
        run_iree_opt([], placed)  # parses and verifies (the compile below would too)
    # The placement replicated @w: the original pinned to device_a, a copy pinned to device_b
    # initialized by a transfer of the original, and the device_b layers read the copy.
    assert re.search(r"util\.global private @w \{stream\.affinity = " + re.escape(A) + r"\}",
                     placed)
    copy = re.search(r"util\.global private @w_device_b \{stream\.affinity = " + re.escape(B)
                     + r"\} : tensor<64x64xf32>", placed)
    assert copy is not None
    init = re.search(r"util\.initializer \{\s*%(\w+) = util\.global\.load @w : [^\n]*\n"
                     r"\s*%(\w+) = flow\.tensor\.transfer %\1 : tensor<64x64xf32> to "
                     + re.escape(B) + r"\n\s*util\.global\.store %\2, @w_device_b :", placed)
    assert init is not None
    if variant == "initializer":  # the copy is initialized after the original is stored
        assert placed.index("util.global.store %c, @w :") < init.start()
    layers = re.findall(r"flow\.dispatch @layer::@\w+\(%\w+, %(\w+)\) \{stream\.affinity = "
                        r"#hal\.device\.affinity<@(device_\w)>\}", placed)
    assert [d for _, d in layers] == ["device_a", "device_b", "device_a", "device_b"]
    loads = dict(re.findall(r"%(\w+) = util\.global\.load immutable @(\w+) :", placed))
    assert [loads[v] for v, _ in layers] == ["w", "w_device_b", "w", "w_device_b"]
    for name, source in (("orig", text), ("placed", placed)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "m.mlir").write_text(source)
    want = _run(iree_tools, tmp_path / "orig" / "m.mlir", text, tmp_path / "orig")
    got = _run(iree_tools, tmp_path / "placed" / "m.mlir", placed, tmp_path / "placed")
    assert got == want
    # Not vacuous: an 8x64 f32 result that is not constant: seeded random weights (parameter)
    # or a splat weight (initializer: every column of a row equal, the rows differ).
    out = np.load(io.BytesIO(got), allow_pickle=False)
    assert out.shape == (8, 64) and out.dtype == np.float32
    assert len(np.unique(out)) > (100 if variant == "parameter" else 4)
