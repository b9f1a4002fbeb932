"""The classes of bad input the mutation fuzz found iree-opt rejecting and us accepting (issue 7).

Each case: our located diagnostics (`line:col: error: ...` and MLIR's `note:`s) equal the ones
pasted from iree-opt 3.13's run on the same text, which the test re-checks live where iree-opt
is installed. `ACCEPTED` are the near neighbours iree-opt accepts.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from placement.diagnostics import PlacementError
from placement.ir import load
from placement.ops import DIALECT_ATTRIBUTES
from placement.oracle import find_iree_opt

_HEAD = re.compile(r"^[^\n]*?:(\d+:\d+: (?:error|note): .*)$")


def _f(body: str, args: str = "") -> str:
    return f"util.func private @f({args}) {{\n{body}\n  util.return\n}}\n"


# Operands the custom form resolves with a type the format does not write (ODS type relations:
# `OpSyntax.operand_types`).
_TYPES = {
    "transfer_operand_is_result_type": (
        _f("  %b = flow.tensor.transfer %a : tensor<1xi32> to #hal.device.promise<@d>",
           "%a: tensor<2xi32>"),
        ["2:29: error: use of value '%a' expects different type than prior uses: "
         "'tensor<1xi32>' vs 'tensor<2xi32>'", "1:22: note: prior use here"]),
    "load_indices_are_index": (
        _f("  %t = arith.constant dense<1> : tensor<4xi32>\n"
           "  %x = flow.tensor.load %t[%c] : tensor<4xi32>", "%c: i32"),
        ["3:28: error: use of value '%c' expects different type than prior uses: 'index' vs "
         "'i32'", "1:22: note: prior use here"]),
    "cmpi_rhs_is_lhs_type": (
        _f("  %c = arith.cmpi slt, %a, %b : i32", "%a: i32, %b: index"),
        ["2:28: error: use of value '%b' expects different type than prior uses: 'i32' vs "
         "'index'", "1:31: note: prior use here"]),
    "addi_operands_are_result_type": (
        _f("  %c = arith.addi %a, %b : i32", "%a: index, %b: i32"),
        ["2:19: error: use of value '%a' expects different type than prior uses: 'i32' vs "
         "'index'", "1:22: note: prior use here"]),
    "scf_if_condition_is_i1": (
        _f("  scf.if %a {\n  }", "%a: i32"),
        ["2:10: error: use of value '%a' expects different type than prior uses: 'i1' vs "
         "'i32'", "1:22: note: prior use here"]),
    "splat_value_is_element_type": (
        _f("  %t = flow.tensor.splat %a : tensor<4xf32>", "%a: i32"),
        ["2:26: error: use of value '%a' expects different type than prior uses: 'f32' vs "
         "'i32'", "1:22: note: prior use here"]),
    "clone_dims_are_index": (
        _f("  %b = flow.tensor.clone %a : tensor<?xi32>{%n}", "%a: tensor<?xi32>, %n: i64"),
        ["2:45: error: use of value '%n' expects different type than prior uses: 'index' vs "
         "'i64'", "1:41: note: prior use here"]),
    "stream_sizes_are_index": (
        _f("  %b = stream.async.clone %a : !stream.resource<*>{%n} -> "
           "!stream.resource<*>{%n}", "%a: !stream.resource<*>, %n: i32"),
        ["2:52: error: use of value '%n' expects different type than prior uses: 'index' vs "
         "'i32'", "1:47: note: prior use here"]),
    "await_is_a_timepoint": (
        _f("  %r = stream.timepoint.await %t => %a : !stream.resource<*>{%n}",
           "%a: !stream.resource<*>, %n: index, %t: i32"),
        ["2:31: error: use of value '%t' expects different type than prior uses: "
         "'!stream.timepoint' vs 'i32'", "1:58: note: prior use here"]),
    "forward_use_then_definition": (
        "util.func private @f() {\n  cf.br ^bb2\n^bb1:\n"
        "  %x = flow.tensor.transfer %v : tensor<1xi32> to #hal.device.promise<@d>\n"
        "  util.return\n^bb2:\n  %v = arith.constant dense<1.0> : tensor<1xf32>\n"
        "  cf.br ^bb1\n}\n",
        ["7:3: error: definition of SSA value '%v#0' has type 'tensor<1xf32>'",
         "4:29: note: previously used here with type 'tensor<1xi32>'"]),
}



def _arg(ty: str) -> str:
    return f"util.func private @f(%a: {ty}) {{\n  util.return\n}}\n"


# Shaped types as MLIR's dimension-list parser reads them (a `0x..` token is the dimension 0
# and the lexer restarts at its `x`; `1e5` is `1` then the identifier `e5`).
_SHAPES = {
    "hex_dimension_then_bad_element": (
        _arg("tensor<0xffffffffffffffffffffffffffffffffffffffffx4096xf32>"),
        ["1:35: error: expected non-function type"]),
    "hex_dimension_without_x": (_arg("tensor<0x4>"),
                                ["1:36: error: expected 'x' in dimension list"]),
    "exponent_dimension": (_arg("tensor<1e999x4xf32>"),
                           ["1:34: error: expected 'x' in dimension list"]),
    "exponent_later_dimension": (_arg("tensor<4x1e5xf32>"),
                                 ["1:36: error: expected 'x' in dimension list"]),
    "negative_dimension": (_arg("tensor<-4xf32>"), ["1:33: error: expected non-function type"]),
    "float_dimension": (_arg("tensor<4.0xf32>"), ["1:33: error: expected non-function type"]),
    "capital_x": (_arg("tensor<4X4xf32>"), ["1:34: error: expected 'x' in dimension list"]),
    "capital_hex": (_arg("tensor<0X4xf32>"), ["1:34: error: expected 'x' in dimension list"]),
    "unranked_without_x": (_arg("tensor<*4xf32>"),
                           ["1:34: error: expected 'x' in dimension list"]),
    "unknown_element": (_arg("tensor<4xfoo>"), ["1:35: error: expected non-function type"]),
    "plus_dimension": (_arg("tensor<4x+4xf32>"), ["1:35: error: expected non-function type"]),
    "junk_before_close": (_arg("tensor<4xf32 = 3>"),
                          ["1:38: error: expected '>' in tensor type"]),
    "missing_encoding_comma": (_arg("tensor<4xf32 #a>"),
                               ["1:38: error: expected '>' in tensor type"]),
    "no_encoding_after_comma": (_arg("tensor<4xf32, =>"),
                                ["1:39: error: expected '>' in tensor type"]),
    "dialect_element_then_junk": (_arg("tensor<4x!hal.buffer_view 3>"),
                                  ["1:51: error: expected '>' in tensor type"]),
    "tensor_of_tensor": (_arg("tensor<4xtensor<4xf32>>"),
                         ["1:35: error: invalid tensor element type"]),
    "vector_junk": (_arg("vector<4xf32, 3>"), ["1:38: error: expected '>' in vector type"]),
    "memref_junk": (_arg("memref<4xf32 3>"),
                    ["1:38: error: expected ',' or '>' in memref type"]),
    "vector_dynamic": (_arg("vector<?x4xf32>"), ["1:33: error: expected non-function type"]),
    "vector_zero": (_arg("vector<4x0xf32>"), [
        "1:26: error: vector types must have positive constant sizes but got 4, 0"]),
}



def _attr(value: str) -> str:
    return f"util.func private @f() attributes {{a = {value}}} {{\n  util.return\n}}\n"


# Dialect attribute mnemonics (`placement.ops.DIALECT_ATTRIBUTES`) and dotted alias names.
_ATTRIBUTES = {
    "unknown_hal_attribute": (_attr("#hal.device.promse<@d>"),
                              ["1:45: error: unknown HAL attribute: device.promse"]),
    "unknown_hal_attribute_bare": (_attr("#hal.device"),
                                   ["1:45: error: unknown HAL attribute: device"]),
    "unknown_stream_attribute": (_attr("#stream.lifetime<external>"),
                                 ["1:48: error: unknown attribute `lifetime` in dialect "
                                  "`stream`"]),
    "unknown_encoding_attribute": (_attr("#iree_encoding.foo"),
                                   ["1:55: error: unknown attribute `foo` in dialect "
                                    "`iree_encoding`"]),
    "unknown_tensor_ext_attribute": (_attr("#iree_tensor_ext.foo"),
                                     ["1:57: error: unknown attribute `foo` in dialect "
                                      "`iree_tensor_ext`"]),
    "promise_without_symbol": (_attr("#hal.device.promise<>"),
                               ["1:60: error: expected valid '@'-identifier for symbol name"]),
    "affinity_value_not_symbol": (_attr("#hal.device.affinity<%x>"),
                                  ["1:61: error: expected valid '@'-identifier for symbol name"]),
    "affinity_junk_after_symbol": (_attr("#hal.device.affinity<@x 0>"),
                                   ["1:63: error: expected '>'"]),
    "affinity_queues_not_a_list": (_attr("#hal.device.affinity<@x, 0>"),
                                   ["1:64: error: expected '['"]),
    "encoding_testing_without_parameters": (_attr("[#iree_encoding.testing]"),
                                            ["1:63: error: expected '<'"]),
    "dotted_attribute_alias": ("#foo.x = 1\nutil.func private @f() {\n  util.return\n}\n",
                               ["1:1: error: attribute names with a '.' are reserved for "
                                "dialect-defined names"]),
    "dotted_type_alias": ("!foo.x = i32\nutil.func private @f() {\n  util.return\n}\n",
                          ["1:1: error: type names with a '.' are reserved for "
                           "dialect-defined names"]),
}

# Op names without a dialect resolve in the enclosing region's default dialect
# (`placement.ops.DEFAULT_DIALECTS`). iree-opt adds a note listing its registered dialects.
_UNPREFIXED = {
    "return_at_top_level": ("return\n", [
        "1:1: error: custom op 'return' is unknown (tried 'builtin.return' as well)"]),
    "module_in_func": ("func.func @f() {\n  module {\n  }\n  return\n}\n", [
        "2:3: error: custom op 'module' is unknown (tried 'func.module' as well)"]),
}

# Characters MLIR's lexer rejects, also inside a dialect attribute's or a type's `<...>`.
_CHARACTERS = {
    "non_ascii_in_attribute_body": (_attr("#hal.device.promise<\u03bb@d>"),
                                    ["1:60: error: unexpected character"]),
    "line_separator_in_attribute_body": (_attr("#iree_encoding.testing<\u2028>"),
                                         ["1:63: error: unexpected character"]),
    "backslash_in_type": (_arg("tensor<4x3\\xf32>"), ["1:36: error: unexpected character"]),
    # A NUL is a blank between tokens, but ends the scan of a dialect body.
    "nul_in_attribute_body_after_string": (
        _attr('#hal.executable.target<"llvm-cpu", [#a\x00]>'),
        ["1:63: error: unbalanced '[' character in pretty dialect name"]),
    "nul_in_attribute_body": (_attr("#iree_encoding.testing<layouts = [\x00]>"),
                              ["1:62: error: unbalanced '[' character in pretty dialect name"]),
    "nul_in_type_body": (_arg("!stream.resource<*\x00>"),
                         ["1:42: error: unbalanced '<' character in pretty dialect name"]),
}



def _const(value: str, ty: str) -> str:
    return f"util.func private @f() {{\n  %c = arith.constant {value} : {ty}\n  util.return\n}}\n"


_NOTE_DOT = "note: add a trailing dot to make the literal a float"
# A decimal integer where a float is expected (hex is the float's bits, allowed).
_FLOATS = {
    "scalar_integer_for_f32": (_const("1", "f32"), [
        "2:23: error: unexpected decimal integer literal for a floating point value",
        f"2:23: {_NOTE_DOT}"]),
    "negative_scalar_for_bf16": (_const("-1", "bf16"), [
        "2:24: error: unexpected decimal integer literal for a floating point value",
        f"2:24: {_NOTE_DOT}"]),
    "dense_splat_integer": (_const("dense<1>", "tensor<2xf32>"), [
        "2:29: error: unexpected decimal integer literal for a floating point value",
        f"2:29: {_NOTE_DOT}"]),
    "dense_list_integer": (_const("dense<[1.0, 2]>", "tensor<2xf32>"), [
        "2:35: error: unexpected decimal integer literal for a floating point value",
        f"2:35: {_NOTE_DOT}"]),
    "dictionary_entry": ("util.func private @f() attributes {a = 3 : f16} {\n  util.return\n}\n",
                         ["1:40: error: unexpected decimal integer literal for a floating "
                          "point value", f"1:40: {_NOTE_DOT}"]),
}

# dense<...> element lists: after an element, a `,` or the list's closer.
_DENSE = {
    "dense_elements_without_comma": (_const("dense<1 23>", "tensor<1xi32>"),
                                     ["2:30: error: expected '>'"]),
    "dense_list_without_comma": (_const("dense<[1 2]>", "tensor<2xi32>"),
                                 ["2:31: error: expected ']'"]),
    "dense_nested_lists_without_comma": (_const("dense<[[1, 2] [3, 4]]>", "tensor<2x2xi32>"),
                                         ["2:36: error: expected ']'"]),
}

# Aliases are resolved in one pass: a use needs a definition before it.
_ALIASES = {
    "undefined_attribute_alias": (_attr("#foo"),
                                  ["1:44: error: undefined symbol alias id 'foo'"]),
    "undefined_type_alias": (_arg("!foo"), ["1:30: error: undefined symbol alias id 'foo'"]),
    "alias_in_a_tensor_type": (_arg("tensor<4xf32, #enc>"),
                               ["1:44: error: undefined symbol alias id 'enc'"]),
    "alias_defined_after_use": (_attr("#foo") + "#foo = 1\n",
                                ["1:44: error: undefined symbol alias id 'foo'"]),
}

# Function bodies end every block with a terminator (`placement.ops.TERMINATORS`).
_TERMINATORS = {
    "empty_function_body": ("util.func private @f(%a: i32) {\n}\n",
                            ["1:1: error: empty block: expect at least a terminator"]),
    "empty_later_block": ("util.func private @f(%a: i32) {\n  util.return\n^bb1:\n}\n",
                          ["1:1: error: empty block: expect at least a terminator"]),
}

# An empty slot in a dialect attribute's body: after `=` a value, after `,` a dictionary name
# or a list value (iree-opt points just past the `=` / `,`).
_BODY_LISTS = {
    "body_value_missing_after_equals": (
        _attr('#hal.executable.target<"llvm-cpu", "x", {a = = 1}>'),
        ["1:84: error: expected attribute value"]),
    "body_dict_name_missing_after_comma": (
        _attr('#hal.executable.target<"llvm-cpu", "x", {cpu = "generic", '
              'r = #iree_cpu.cpu_encoding_resolver<>, , m = 1 : i64}>'),
        ["1:136: error: expected attribute name"]),
    "body_dict_trailing_comma": (
        _attr('#hal.executable.target<"llvm-cpu", "x", {a = 1,}>'),
        ["1:87: error: expected attribute name"]),
    "body_list_trailing_comma": (
        _attr('#hal.device.target<"local", [#hal.executable.target<"llvm-cpu", "x", '
              '{a = "x = , }"}>, ]>'),
        ["1:126: error: expected attribute value"]),
}

REJECTED: dict[str, tuple[str, list[str]]] = {**_TYPES, **_SHAPES, **_ATTRIBUTES,
                                              **_TERMINATORS, **_UNPREFIXED, **_CHARACTERS,
                                              **_FLOATS, **_DENSE,
                                              **_ALIASES, **_BODY_LISTS}

# iree-opt prints the last op in generic form with its own value names and default properties
# (`%0 = "arith.addi"(%arg0, %arg0) <{overflowFlags = ...}>`): the position and the message up
# to the op are compared.
UNTERMINATED = {
    "last_op_not_a_terminator": (
        "util.func private @f(%a: i32) {\n  %b = arith.addi %a, %a : i32\n}\n",
        "2:8: error: block with no terminator, has "),
    "store_after_deleted_return": (
        "util.global private mutable @g : i32\nutil.func private @f(%a: i32) {\n"
        "  util.global.store %a, @g : i32\n}\n",
        "3:3: error: block with no terminator, has "),
}

ACCEPTED: dict[str, str] = {
    "transfer_same_type": _f("  %b = flow.tensor.transfer %a : tensor<2xi32> to "
                             "#hal.device.promise<@d>", "%a: tensor<2xi32>"),
    "affinity_with_queues": _attr("#hal.device.affinity<@x, [0, 1]>"),
    "affinity_quoted_symbol": _attr('#hal.device.affinity<@"x y">'),
    "bare_util_null": _attr("#util.null"),
    "float_bits_in_hex": _const("0x3F800000", "f32"),
    "dense_nested_lists": _const("dense<[[1, 2], [3, 4]]>", "tensor<2x2xi32>"),
    "dense_bools": _const("dense<[true, false]>", "tensor<2xi1>"),
    "dense_negative_exponent": _const("dense<2.500000e-01>", "tensor<2x2xf32>"),
    "dense_list_of_exponents": _const("dense<[1.0e-01, -2.0E+02, 0x7F800000]>", "tensor<3xf32>"),
    "nul_after_attribute": _attr("#hal.device.promise<@x>\x00"),
    "body_empty_slots_in_strings": _attr('#hal.executable.target<"llvm-cpu", "x", '
                                         '{a = "x = , }", b = ", ,"}>'),
    "nul_in_string_of_body": _attr('#hal.executable.target<"llvm\x00cpu", "x">'),
    "float_with_exponent": _const("dense<[1.0e+00, -2.5e-01]>", "tensor<2xf32>"),
    "non_ascii_in_string": _attr('#hal.executable.target<"llvm-cpu", "\u03bb">'),
    "scf_if_implicit_yield": _f("  scf.if %a {\n  }", "%a: i1"),
    "external_function": "util.func private @f(%a: i32)\n",
    "return_and_call_in_func": "module {\n  func.func @f() {\n    call @f() : () -> ()\n"
                               "    return\n  }\n}\n",
    "clone_index_dims": _f("  %b = flow.tensor.clone %a : tensor<?xi32>{%n}",
                           "%a: tensor<?xi32>, %n: index"),
    **{f"shape_{i}": _arg(t) for i, t in enumerate((
        "tensor<0x4xf32>", "tensor<00x4xf32>", "tensor<04x4xf32>", "tensor<4 x 4xf32>",
        "tensor<?x0x4xf32>", "tensor<0xf32>", "tensor<*xf32>", "tensor<4x // c\n 4xf32>",
        "tensor<4xf32, >", "tensor<4x!hal.buffer_view>", "vector<[4]xf32>", "memref<0x4xf32>",
        "memref<4xf32, 1>", "tensor<4xf8E4M3FN>", "tensor<4xi0>", "tensor<4xsi8>",
        "tensor<4xcomplex<f32>>"))},
}


def test_every_listed_attribute_mnemonic_is_registered_in_iree_opt(tmp_path: Path) -> None:
    """No name of `DIALECT_ATTRIBUTES` is one iree-opt calls unknown (a wrong entry would be a
    false rejection), and each written bare (`#hal.device.promise`) gets iree-opt's first
    error, or none (`DIALECT_BARE_ATTRIBUTES`, `DIALECT_ATTRIBUTE_OPENERS`); unlisted names are
    rejected by us (not vacuous)."""
    texts = [_attr(f"#{d}.{n}") for d, (_, names) in sorted(DIALECT_ATTRIBUTES.items())
             for n in sorted(names)]
    ours = [_ours(text)[:1] for text in texts]
    assert not any("unknown" in line for first in ours for line in first)
    for dialect in DIALECT_ATTRIBUTES:
        assert "unknown" in _ours(_attr(f"#{dialect}.no_such_attribute"))[0]
    exe = find_iree_opt()
    if exe is None:
        return
    proc = subprocess.run([exe, "--split-input-file", "-", "-o", str(tmp_path / "out.mlir")],
                          input="// -----\n".join(texts), capture_output=True, text=True,
                          check=False)
    theirs: list[list[str]] = [[] for _ in texts]
    for m in re.finditer(r"^<stdin>:(\d+):(\d+): error: (.*)$", proc.stderr, re.MULTILINE):
        k = (int(m.group(1)) - 1) // 4  # each text is 3 lines, then the separator
        if not theirs[k]:
            theirs[k] = [f"{int(m.group(1)) - 4 * k}:{m.group(2)}: error: {m.group(3)}"]
    assert ours == theirs


def _ours(text: str) -> list[str]:
    try:
        load(text, "x.mlir")
    except PlacementError as e:
        return [m.group(1) for line in e.render().splitlines() if (m := _HEAD.match(line))]
    return []


def _iree(text: str, tmp_path: Path) -> list[str] | None:
    """iree-opt's diagnostics on `text` (None where iree-opt is not installed)."""
    exe = find_iree_opt()
    if exe is None:
        return None
    path = tmp_path / "x.mlir"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    proc = subprocess.run([exe, str(path), "-o", str(tmp_path / "out.mlir")],
                          capture_output=True, text=True,
                          check=False, errors="replace")
    return [m.group(1) for line in proc.stderr.splitlines()
            if (m := _HEAD.match(line)) and "see current operation" not in line]


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_as_iree_opt_rejects(name: str, tmp_path: Path) -> None:
    text, expected = REJECTED[name]
    assert _ours(text) == expected
    theirs = _iree(text, tmp_path)
    if theirs is not None:
        assert theirs == expected


def test_return_outside_func_func(tmp_path: Path) -> None:
    text = "util.func private @f() {\n  return\n}\n"
    expected = "2:3: error: Dialect `' not found for custom op 'return'  (tried '.return' as well)"
    assert _ours(text) == [expected]
    theirs = _iree(text, tmp_path)
    if theirs is not None:
        assert theirs[0] == expected and theirs[1].startswith("2:3: note: Available dialects")


def test_empty_parameter_slot_of_an_encoding(tmp_path: Path) -> None:
    # iree-opt adds the attribute parser's own second error, which we do not reproduce
    text = _attr("#iree_encoding.testing<layouts = = [#iree_encoding.specialized<123>]>")
    assert _ours(text) == ["1:72: error: expected attribute value"]
    theirs = _iree(text, tmp_path)
    if theirs is not None:
        assert theirs == ["1:72: error: expected attribute value", "1:73: error: failed to "
                          "parse TestingAttr parameter 'layouts' which is to be a `ArrayAttr`"]


@pytest.mark.parametrize("name", sorted(UNTERMINATED))
def test_block_without_terminator(name: str, tmp_path: Path) -> None:
    text, head = UNTERMINATED[name]
    ours = _ours(text)
    assert len(ours) == 1 and ours[0].startswith(head), ours
    theirs = _iree(text, tmp_path)
    if theirs is not None:
        assert len(theirs) == 1 and theirs[0].startswith(head), theirs


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_as_iree_opt_accepts(name: str, tmp_path: Path) -> None:
    text = ACCEPTED[name]
    assert _ours(text) == []
    theirs = _iree(text, tmp_path)
    if theirs is not None:
        assert theirs == []
