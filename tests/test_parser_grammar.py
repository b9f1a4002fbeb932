"""The grammar-driven parser: op boundaries from the formats (never from line breaks),
invalid IR rejected with MLIR's diagnostics (messages and positions checked against
iree-opt 3.13 by hand), deep nesting, long lines and malformed numbers."""

from __future__ import annotations

import pytest

from placement.diagnostics import PlacementError
from placement.ir import load
from placement.ir.core import Module, Operation
from placement.ir.parser import parse


def _op(module: Module, name: str) -> Operation:
    return next(op for op in module.root.walk() if op.name == name)


def _error(text: str) -> str:
    with pytest.raises(PlacementError) as err:
        load(text, "m.mlir")
    return err.value.render()


def test_line_break_before_a_constant_value_keeps_the_op_whole() -> None:
    module = load("""util.func private @f() -> tensor<4xi32> {
  %cst = flow.tensor.constant {stream.affinities.results = [[]]}
      dense<1> : tensor<4xi32>
  util.return %cst : tensor<4xi32>
}
""")
    names = [op.name for op in module.root.walk()]
    assert names == ["builtin.module", "util.func", "flow.tensor.constant", "util.return"]
    cst = _op(module, "flow.tensor.constant")
    assert cst.attributes == {"stream.affinities.results": "[[]]"}
    assert cst.syntax_attrs == {"value": "dense<1> : tensor<4xi32>"}
    assert cst.results[0].type == "tensor<4xi32>"


def test_two_ops_on_one_line() -> None:
    module = load("""util.global private @d : !hal.device
util.func private @f(%x: tensor<4xi32>) -> tensor<4xi32> {
  %t = flow.tensor.transfer %x : tensor<4xi32> to #hal.device.affinity<@d>  util.return %t : tensor<4xi32>
}
""")
    transfer = _op(module, "flow.tensor.transfer")
    assert [v.name for v in transfer.operands] == ["%x"]
    assert transfer.syntax_attrs == {"target": "#hal.device.affinity<@d>"}
    ret = _op(module, "util.return")
    assert ret.operands == transfer.results


@pytest.mark.parametrize(("text", "expected"), [
    # iree-opt: 2:15: error: custom op 'util.return' number of operands and types do not
    # match: got 1 operands and 2 types
    ("util.func private @b(%a: i32) {\n  util.return %a : i32, i32\n}\n",
     "m.mlir:2:15: error: custom op 'util.return' number of operands and types do not match: "
     "got 1 operands and 2 types"),
    # iree-opt: 2:17: error: expected ':' (just after the previous token, on its line)
    ("util.func private @b(%a: i32) {\n  util.return %a\n}\n", "m.mlir:2:17: error: expected ':'"),
    ("util.func private @f() {\n  foo.bar 1 2 3 !!!\n  util.return\n}\n",
     "m.mlir:2:3: error: custom op 'foo.bar' is unknown to placement; print the module with "
     "'iree-opt --mlir-print-op-generic'"),
    ("util.func private @f() {\n  util.return\n}\njunk text\n",
     "m.mlir:4:1: error: custom op 'junk' is unknown (tried 'builtin.junk' as well)"),
])
def test_invalid_ir_is_a_located_error(text: str, expected: str) -> None:
    assert _error(text).startswith(expected)


def test_use_with_a_different_type_than_its_definition() -> None:
    out = _error("util.func private @b(%a: i32) -> i64 {\n  util.return %a : i64\n}\n")
    assert out.split("\n") == [
        "m.mlir:2:15: error: use of value '%a' expects different type than prior uses: "
        "'i64' vs 'i32'",
        "  util.return %a : i64",
        "              ^",
        "m.mlir:1:22: note: prior use here",
        "util.func private @b(%a: i32) -> i64 {",
        "                     ^",
    ]


@pytest.mark.parametrize(("count", "expected"), [
    ("10000000", "2:3: error: operation defines 1 results but was provided 10000000 to bind"),
    ("9223372036854775808",
     "2:3: error: operation defines 1 results but was provided 9223372036854775808 to bind"),
    ("18446744073709551616", "2:6: error: expected named operation to have at least 1 result"),
    ("0xff", "2:3: error: operation defines 1 results but was provided 255 to bind"),
    ("1e999", "2:7: error: expected '=' after SSA name"),
    ("9" * 5000, "2:6: error: expected named operation to have at least 1 result"),
])
def test_malformed_result_counts(count: str, expected: str) -> None:
    text = f"util.func @f() {{\n  %x:{count} = arith.constant 1 : i32\n  util.return\n}}\n"
    assert _error(text).startswith("m.mlir:" + expected)


@pytest.mark.parametrize("nest", ["scf.if", "module", "scf.execute_region"])
def test_deep_nesting(nest: str) -> None:
    n = 1000
    if nest == "module":
        text = "module {\n" * n + "}\n" * n
    elif nest == "scf.if":
        text = ("util.func @f(%c: i1) {\n" + "scf.if %c {\n" * n + "}\n" * n
                + "util.return\n}\n")
    else:
        text = ("util.func @f() {\n" + "scf.execute_region {\n" * n + "scf.yield\n}\n" * n
                + "util.return\n}\n")
    module = load(text)
    assert sum(1 for op in module.root.walk() if op.name == "builtin.module" or
               op.name == nest) >= n


def test_one_million_character_line() -> None:
    ops = " ".join(f"%v{i} = arith.addi %v{i - 1}, %v{i - 1} : i32" for i in range(1, 25000))
    text = "util.func @f(%v0: i32) -> i32 { " + ops + " util.return %v24999 : i32 }"
    assert len(text) > 1_000_000 and "\n" not in text
    module = load(text)
    ret = _op(module, "util.return")
    assert ret.operands[0].name == "%v24999"
    assert sum(1 for op in module.root.walk() if op.name == "arith.addi") == 24999


def test_comments_may_hold_anything() -> None:
    module = parse("// \x00 \udcff junk\nutil.func private @f() {\n  util.return  // \x00\n}\n")
    assert [op.name for op in module.root.walk()][1:] == ["util.func", "util.return"]


def test_unknown_op_inside_an_executable_keeps_the_body_opaque() -> None:
    module = load("""flow.executable private @ex {
  flow.executable.export public @ep
  builtin.module {
    func.func @ep() {
      mystery.op
      return
    }
  }
}
util.func private @f() {
  util.return
}
""")
    ex = _op(module, "flow.executable")
    assert ex.regions[0].opaque and not ex.regions[0].blocks
    assert [op.name for op in module.top_level_ops()] == ["flow.executable", "util.func"]


def test_cr_line_ends_end_comments() -> None:
    module = parse("// c\rutil.func @f() {\r  util.return\r}\r")
    assert [op.name for op in module.root.walk()][1:] == ["util.func", "util.return"]


def test_redefinitions() -> None:
    assert _error("#a = 1 : i32\n#a = 2 : i32\n").startswith(
        "m.mlir:2:1: error: redefinition of attribute alias id 'a'")
    out = _error("util.func @f() {\n  %c = arith.constant 1 : index\n"
                 "  %c = arith.constant 2 : index\n  util.return\n}\n")
    assert out.split("\n")[0] == "m.mlir:3:3: error: redefinition of SSA value '%c'"
    assert out.split("\n")[3] == "m.mlir:2:3: note: previously defined here"


def test_function_type_is_recorded() -> None:
    module = load("util.func private @f(%a: tensor<4xi32>, %b: index) -> (tensor<4xi32>, %a) "
                  "{\n  util.return %a, %a : tensor<4xi32>, tensor<4xi32>\n}\n")
    func = _op(module, "util.func")
    assert func.attr("function_type") == "(tensor<4xi32>, index) -> (tensor<4xi32>, " \
        "tensor<4xi32>)"
    assert func.tied == {1: 0}
