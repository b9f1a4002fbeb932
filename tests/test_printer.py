"""The IR printer (`print_ir`): every op printed from its format (or generically) reads back in
iree-opt as the same IR; the default output is the source with only changed ops re-printed."""

from __future__ import annotations

import subprocess

import pytest

from conftest import CORPUS, GOLDEN, split_golden
from placement.ir import load
from placement.ir.core import Operation
from placement.ir.parser import parse
from placement.ir.printer import Edit, print_ir, render, set_attributes

INPUTS = [(f"annotate{i:02d}", c) for i, c in enumerate(
    split_golden(GOLDEN / "annotate_affinities.mlir"))]
INPUTS += [(f"unify{i:02d}", c) for i, c in enumerate(
    split_golden(GOLDEN / "unify_encoding_for_globals.mlir"))]
INPUTS += [(p.stem, p.read_text()) for p in sorted(CORPUS.glob("*/*.mlir"))]


def _generic(tool: str, text: str) -> str:
    proc = subprocess.run([tool, "--mlir-print-op-generic", "--allow-unregistered-dialect",
                           "-"], input=text, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[:2000]
    return proc.stdout


@pytest.mark.parametrize(("name", "text"), INPUTS, ids=[n for n, _ in INPUTS])
def test_force_all_output_is_the_same_ir_for_iree_opt(name: str, text: str,
                                                      iree_opt: str) -> None:
    printed = print_ir(parse(text, name), force_all=True)
    assert _generic(iree_opt, printed) == _generic(iree_opt, text)


def _op(text: str, name: str) -> tuple[object, Operation]:
    module = load(text)
    return module, next(op for op in module.root.walk() if op.name == name)


TEXT = """// a comment
util.global private @d : !hal.device
util.func private @f(%x: tensor<?xi32>, %n: index) -> tensor<?xi32> {
  %t = flow.tensor.transfer %x : tensor<?xi32>{%n}
      to #hal.device.affinity<@d>
  util.return %t : tensor<?xi32>
}
"""


def test_default_output_is_the_source_and_changed_ops_are_reprinted() -> None:
    module, transfer = _op(TEXT, "flow.tensor.transfer")
    assert print_ir(module) == render(module, [])  # type: ignore[arg-type]
    transfer.attributes["k"] = "1 : i32"
    transfer.modified = True
    out = print_ir(module)  # type: ignore[arg-type]
    assert "  %t = flow.tensor.transfer %x : tensor<?xi32>{%n} to " \
        "#hal.device.affinity<@d> attributes {k = 1 : i32}\n" in out
    again = load(out)
    assert next(op for op in again.root.walk() if op.name == "flow.tensor.transfer"
                ).attributes == {"k": "1 : i32"}


def test_new_dictionary_goes_where_the_format_has_attr_dict() -> None:
    module, transfer = _op(TEXT, "flow.tensor.transfer")
    edits = set_attributes(module, transfer, {"k": "1"})  # type: ignore[arg-type]
    out = render(module, edits)  # type: ignore[arg-type]
    assert "to #hal.device.affinity<@d> attributes {k = 1}" in out
    module, ret = _op(TEXT, "util.return")
    out = render(module, set_attributes(module, ret, {"k": "1"}))  # type: ignore[arg-type]
    assert "util.return {k = 1} %t : tensor<?xi32>" in out


def test_a_dictionary_that_would_read_as_dims_makes_the_op_generic() -> None:
    text = """util.func private @f(%s: !hal.buffer_view) -> tensor<4xi32> {
  %0 = hal.tensor.import %s : !hal.buffer_view -> tensor<4xi32>
  util.return %0 : tensor<4xi32>
}
"""
    module, imp = _op(text, "hal.tensor.import")
    out = render(module, set_attributes(module, imp, {"k": "1"}))  # type: ignore[arg-type]
    assert '"hal.tensor.import"(%s) <{operandSegmentSizes = array<i32: 1, 0, 0, 0>, ' \
        "target_encoding = tensor<4xi32>}> {k = 1} : (!hal.buffer_view) -> tensor<4xi32>" in out
    load(out)


def test_overlapping_edits_are_an_internal_error() -> None:
    module = load(TEXT)
    with pytest.raises(ValueError, match="overlapping edits"):
        render(module, [Edit(40, 50, "a"), Edit(45, 60, "b")])
