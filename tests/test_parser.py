"""The parser reads every golden and corpus input, and printing without edits keeps the IR."""

from __future__ import annotations

import pytest

from conftest import CORPUS, GOLDEN, split_golden
from placement.diagnostics import PlacementError
from placement.ir.core import Module, Operation
from placement.ir.parser import parse
from placement.ir.printer import render

INPUTS = [(f"annotate{i:02d}", c) for i, c in enumerate(
    split_golden(GOLDEN / "annotate_affinities.mlir"))]
INPUTS += [(f"unify{i:02d}", c) for i, c in enumerate(
    split_golden(GOLDEN / "unify_encoding_for_globals.mlir"))]
INPUTS += [(p.stem, p.read_text()) for p in sorted(CORPUS.glob("*/*.mlir"))]


def _shape(module: Module) -> list[tuple[object, ...]]:
    """Everything structural about every op: name, operands, results, attributes, blocks."""
    out: list[tuple[object, ...]] = []
    for op in module.root.walk():
        out.append((
            op.name,
            tuple(v.name for v in op.operands),
            tuple((r.name, r.type) for r in op.results),
            tuple(sorted(op.attributes.items())),
            tuple(sorted(op.syntax_attrs.items())),
            tuple(op.symbols),
            tuple(sorted(op.tied.items())),
            tuple(tuple((a.name, a.type) for a in b.arguments) for r in op.regions
                  for b in r.blocks),
            tuple(b.label for b in op.successors),
        ))
    return out


def test_inputs_cover_both_golden_files_and_the_corpus() -> None:
    assert sum(1 for n, _ in INPUTS if n.startswith("annotate")) == 47
    assert sum(1 for n, _ in INPUTS if n.startswith("unify")) == 14
    assert len(INPUTS) == 47 + 14 + 10


@pytest.mark.parametrize(("name", "text"), INPUTS, ids=[n for n, _ in INPUTS])
def test_parses_and_reprints_the_same_ir(name: str, text: str) -> None:
    module = parse(text, name)
    assert module.top_level_ops(), "no ops parsed"
    again = parse(render(module, []), name)
    assert _shape(again) == _shape(module)


def _ops(text: str) -> list[Operation]:
    return [op for op in parse(text).root.walk()][1:]


def test_custom_syntax_structure() -> None:
    ops = _ops("""
util.func private @f(%a: tensor<4xi32>, %c: i1, %fence: !hal.fence, %w: index) -> tensor<4xi32> {
  %t = flow.dispatch @ex::@ep[%w](%a) : (tensor<4xi32>) -> %a
  %s = arith.select %c, %t, %a : tensor<4xi32>
  cf.cond_br %c, ^bb1(%s : tensor<4xi32>), ^bb2
^bb1(%x: tensor<4xi32>):
  %b = hal.tensor.barrier join(%x : tensor<4xi32>) => %fence : !hal.fence
  util.return %b : tensor<4xi32>
^bb2:
  util.return %a : tensor<4xi32>
}
""")
    names = [op.name for op in ops]
    assert names == ["util.func", "flow.dispatch", "arith.select", "cf.cond_br",
                     "hal.tensor.barrier", "util.return", "util.return"]
    func, dispatch, select, br, barrier = ops[:5]
    assert func.syntax_attrs["sym_visibility"] == '"private"'
    assert [a.name for a in func.regions[0].blocks[0].arguments] == ["%a", "%c", "%fence", "%w"]
    assert dispatch.symbols == ["@ex::@ep"]
    assert [v.name for v in dispatch.operands] == ["%w", "%a"]
    assert dispatch.tied == {0: 1} and dispatch.results[0].type == "tensor<4xi32>"
    assert [v.name for v in select.operands] == ["%c", "%t", "%a"]
    assert [b.label for b in br.successors] == ["^bb1", "^bb2"]
    assert br.successor_operands == [(1, 1), (2, 0)]
    assert len(barrier.results) == 1 and barrier.results[0].type == "tensor<4xi32>"


def test_scf_block_arguments_come_from_the_op_syntax() -> None:
    ops = _ops("""
util.func private @f(%init: tensor<1xi32>, %n: index) -> tensor<1xi32> {
  %c0 = arith.constant 0 : index
  %r:2 = scf.for %i = %c0 to %n step %n iter_args(%x = %init, %y = %init) -> (tensor<1xi32>, tensor<1xi32>) {
    scf.yield %y, %x : tensor<1xi32>, tensor<1xi32>
  }
  util.return %r#1 : tensor<1xi32>
}
""")
    loop = ops[2]
    body = loop.regions[0].blocks[0]
    assert [(a.name, a.type) for a in body.arguments] == [
        ("%i", "index"), ("%x", "tensor<1xi32>"), ("%y", "tensor<1xi32>")]
    assert len(loop.operands) == 5 and len(loop.results) == 2
    ret = ops[-1]
    assert ret.operands[0] is loop.results[1]


def test_aliases_are_resolved_in_types() -> None:
    ops = _ops("""
!t = tensor<4xf32>
#dev = #hal.device.promise<@dev_a>
util.func private @f() -> !t {
  %c = flow.tensor.constant {stream.affinity = #dev} dense<1.0> : !t
  util.return %c : !t
}
""")
    assert ops[1].results[0].type == "tensor<4xf32>"


def test_unknown_custom_op_is_a_located_error_and_generic_ops_are_kept() -> None:
    text = """util.func private @f(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = mydialect.frobnicate %a, 3 {knob = "x"} : tensor<4xi32> -> tensor<4xi32>
  util.return %0 : tensor<4xi32>
}
"""
    with pytest.raises(PlacementError) as err:
        parse(text, "m.mlir")
    assert err.value.render().startswith(
        "m.mlir:2:8: error: custom op 'mydialect.frobnicate' is unknown to placement; print "
        "the module with 'iree-opt --mlir-print-op-generic'")
    generic_text = """util.func private @f(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = "mydialect.frobnicate"(%a) {knob = "x"} : (tensor<4xi32>) -> tensor<4xi32>
  %1 = "other.op"(%0) ({
    "other.yield"(%0) : (tensor<4xi32>) -> ()
  }) {k = 1 : i32} : (tensor<4xi32>) -> tensor<4xi32>
  util.return %1 : tensor<4xi32>
}
"""
    ops = _ops(generic_text)
    frob, generic = ops[1], ops[2]
    assert frob.name == "mydialect.frobnicate" and frob.attributes == {"knob": '"x"'}
    assert [v.name for v in frob.operands] == ["%a"]
    assert generic.name == "other.op" and generic.syntax.generic
    assert generic.attributes == {"k": "1 : i32"} and len(generic.regions) == 1
    assert render(parse(generic_text), []) == generic_text


def test_tied_results_in_signatures_and_multi_value_successors() -> None:
    ops = _ops("""
util.func private @callee(%arg0: tensor<4xi32>, %arg1: tensor<4xi32>) -> (tensor<4xi32>, %arg0) {
  util.return %arg1, %arg0 : tensor<4xi32>, tensor<4xi32>
}
util.func private @f(%a: tensor<4xi32>, %b: tensor<4xi32>, %c: i1) -> tensor<4xi32> {
  %r:2 = util.call @callee(%a, %b) : (tensor<4xi32>, tensor<4xi32>) -> (tensor<4xi32>, %a)
  %d:2 = flow.dispatch @ex::@ep(%a, %b) : (tensor<4xi32>, tensor<4xi32>) -> (tensor<4xi32>, %b)
  cf.cond_br %c, ^bb1(%r#0, %d#1 : tensor<4xi32>, tensor<4xi32>), ^bb1(%a, %b : tensor<4xi32>, tensor<4xi32>)
^bb1(%x: tensor<4xi32>, %y: tensor<4xi32>):
  util.return %x : tensor<4xi32>
}
""")
    call, dispatch, branch = ops[3], ops[4], ops[5]
    assert [v.name for v in call.operands] == ["%a", "%b"] and call.tied == {1: 0}
    assert [v.name for v in dispatch.operands] == ["%a", "%b"] and dispatch.tied == {1: 1}
    assert [v.name for v in branch.operands] == ["%c", "%r#0", "%d#1", "%a", "%b"]
    assert branch.successor_operands == [(1, 2), (3, 2)]


@pytest.mark.parametrize("text", ["", "  \n\n", "// only a comment\n", "// a\r// b\r"])
def test_empty_input_is_an_empty_module(text: str, iree_opt: str) -> None:
    """iree-opt reads nothing but whitespace and comments as an empty module (exit 0)."""
    import subprocess

    done = subprocess.run([iree_opt, "-"], input=text, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and "module" in done.stdout
    module = parse(text, "empty.mlir")
    assert module.top_level_ops() == []
