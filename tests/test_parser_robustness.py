"""Regressions from the parser/printer robustness sweep over IREE-style inputs.

Each test is a few hand-written lines exercising one custom syntax the parser or printer got
wrong: the module must load, its ops must have the structure iree-opt gives them, and the
annotated output must parse back with iree-opt (when iree-opt is installed).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from placement.annotate import annotate_text, solve_module
from placement.ir import load
from placement.ir.core import Module, Operation

IREE_OPT = shutil.which("iree-opt") or str(Path(__file__).resolve().parents[1]
                                            / ".venv" / "bin" / "iree-opt")
HAVE_IREE = Path(IREE_OPT).exists()


def _op(module: Module, name: str) -> Operation:
    return next(op for op in module.root.walk() if op.name == name)


def _annotated_reparses(text: str) -> str:
    """Annotate `text`; check iree-opt accepts the result; return it."""
    module = load(text)
    out = annotate_text(module, solve_module(module))
    if HAVE_IREE:
        proc = subprocess.run([IREE_OPT, "--allow-unregistered-dialect", "-"], input=out,
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr + "\n" + out
    return out


def test_typed_attribute_values_in_a_dictionary() -> None:
    module = load("""
util.global private @g {init = dense<7> : tensor<3xi8>, w = 2.5 : f32} : tensor<3xi8>
""")
    op = _op(module, "util.global")
    assert op.attributes == {"init": "dense<7> : tensor<3xi8>", "w": "2.5 : f32"}


ANNOTATED_STREAM = """
util.global private @dev : !hal.device
util.func private @f(%n: index, %v: i32, %t: !stream.timepoint) -> !stream.resource<*> {
  %c0 = arith.constant 0 : index
  %a = stream.async.splat on(#hal.device.affinity<@dev>) %v : i32 -> !stream.resource<*>{%n}
  %b = stream.async.slice %a[%c0 to %n] : !stream.resource<*>{%n} -> !stream.resource<*>{%n}
  %r, %rt = stream.async.execute await(%t) => with(%b as %x: !stream.resource<*>{%n})
      -> !stream.resource<*>{%n} {
    %y = stream.async.clone %x : !stream.resource<*>{%n} -> !stream.resource<*>{%n}
    stream.yield %y : !stream.resource<*>{%n}
  } => !stream.timepoint
  %now = stream.timepoint.immediate => !stream.timepoint
  %j = stream.timepoint.join max(%rt, %now) => !stream.timepoint
  %w = stream.timepoint.await %j => %r : !stream.resource<*>{%n}
  util.return %w : !stream.resource<*>
}
"""


def test_stream_ops_keep_their_dictionary_where_iree_prints_it() -> None:
    out = _annotated_reparses(ANNOTATED_STREAM)
    assert "stream.async.slice %a[%c0 to %n] : !stream.resource<*>{%n} -> " \
        "!stream.resource<*>{%n} attributes {" in out
    assert "stream.yield {" in out


def test_func_return_and_generic_ops_take_the_dictionary_before_the_operands_or_colon() -> None:
    out = _annotated_reparses("""
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "x.op"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
""")
    assert '"x.op"(%a) {' in out
    assert "return {" in out


def test_call_abbreviation_is_func_call() -> None:
    module = load("""
func.func private @g()
func.func @f() {
  call @g() : () -> ()
  return
}
""")
    assert [op.name for op in module.root.walk()][-2:] == ["func.call", "func.return"]


def test_inline_angle_attribute_after_the_op_name() -> None:
    text = """
util.global private @dev : !hal.device
util.func private @f(%ch: !stream.channel, %s: !stream.resource<*>, %n: index,
                     %m: index) -> !stream.resource<*> {
  %c0 = arith.constant 0 : index
  %d = stream.async.alloca : !stream.resource<*>{%m}
  %r = stream.async.collective<all_gather : f32>[%n] on(#hal.device.affinity<@dev>)
      channel(%ch) %s[%c0 to %n for %n], %d[%c0 to %m for %m] :
      !stream.resource<*>{%n} -> %d as !stream.resource<*>{%m}
  util.return %r : !stream.resource<*>
}
"""
    op = _op(load(text), "stream.async.collective")
    assert len(op.results) == 1
    # ODS order: target, its size/offset/end/length, source (same), count, channel.
    assert [v.name for v in op.operands] == ["%d", "%m", "%c0", "%m", "%m", "%s", "%n", "%c0",
                                             "%n", "%n", "%n", "%ch"]
    _annotated_reparses(text)


def test_braced_group_inside_parentheses_holds_operands() -> None:
    module = load("""
func.func @f(%a: index, %b: index) -> (index, index, index) {
  %c8 = arith.constant 8 : index
  %p:3 = stream.resource.pack offset(%c8) slices({
    [0, 1] = %a,
    [1, 2] = %b,
  }) : index
  return %p#0, %p#1, %p#2 : index, index, index
}
""")
    op = _op(module, "stream.resource.pack")
    assert [v.name for v in op.operands] == ["%c8", "%a", "%b"]
    assert not op.regions


def test_line_continued_by_a_fat_arrow() -> None:
    module = load("""
func.func @f() -> (!stream.resource<constant>, !stream.timepoint) {
  %c4 = arith.constant 4 : index
  %r:2 = stream.resource.constants :
    !stream.resource<constant>{%c4} = dense<1> : tensor<1xi32>
    => !stream.timepoint
  return %r#0, %r#1 : !stream.resource<constant>, !stream.timepoint
}
""")
    op = _op(module, "stream.resource.constants")
    assert len(op.operands) == 1 and len(op.results) == 2


def test_async_func_declarations_are_call_targets() -> None:
    _annotated_reparses("""
stream.async.func private @ext(%a: !stream.resource<*>, %n: index) -> %a
util.func private @f(%a: !stream.resource<*>, %n: index) -> !stream.resource<*> {
  %c0 = arith.constant 0 : index
  %r = stream.async.call @ext(%a[%c0 to %n for %n], %n) : (!stream.resource<*>{%n}, index)
      -> %a{%n}
  util.return %r : !stream.resource<*>
}
""")


@pytest.mark.parametrize("symbols", ["{@ex::@a}", "{@ex::@a, @ex::@b}"])
def test_symbol_list_and_braced_operand_entries(symbols: str) -> None:
    text = f"""
func.func @f(%r: !stream.resource<transient>, %n: index) -> !stream.timepoint {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = stream.cmd.execute with(%r as %x: !stream.resource<transient>{{%n}}) {{
    stream.cmd.dispatch {symbols}[%c1](%c1 : index) {{
      rw %x[%c0 for %n] : !stream.resource<transient>{{%n}}
    }}
  }} => !stream.timepoint
  return %t : !stream.timepoint
}}
"""
    module = load(text)
    op = _op(module, "stream.cmd.dispatch")
    assert op.symbols == symbols[1:-1].split(", ")
    assert len(op.operands) == 6 and not op.regions
    _annotated_reparses(text)


def test_fat_arrow_result_types_and_await_operands_last() -> None:
    text = """
func.func @f(%n: index, %t: !stream.timepoint) -> (!stream.resource<staging>, !stream.timepoint) {
  %r:2 = stream.resource.alloca uninitialized await(%t) => !stream.resource<staging>{%n}
      => !stream.timepoint
  %s:2 = stream.resource.alloca uninitialized : !stream.resource<staging>{%n} => !stream.timepoint
  %j = stream.timepoint.join max(%r#1, %s#1) => !stream.timepoint
  return %r#0, %j : !stream.resource<staging>, !stream.timepoint
}
"""
    module = load(text)
    allocas = [op for op in module.root.walk() if op.name == "stream.resource.alloca"]
    for op in allocas:
        assert [r.type for r in op.results] == ["!stream.resource<staging>", "!stream.timepoint"]
    assert [v.name for v in allocas[0].operands] == ["%n", "%t"]  # ODS: size, await
    assert _op(module, "stream.timepoint.join").results[0].type == "!stream.timepoint"
    out = _annotated_reparses(text)
    assert "stream.resource.alloca uninitialized : {" in out


@pytest.mark.parametrize(("line", "name", "order"), [
    ("%o = stream.async.fill %v, %a[%c0 to %n for %n] : i32 -> %a as !stream.resource<*>{%n}",
     "stream.async.fill", ["%a", "%n", "%c0", "%n", "%n", "%v"]),
    ("%o = stream.async.update %b, %a[%c0 to %n] : !stream.resource<*>{%n} -> %a as "
     "!stream.resource<*>{%n}", "stream.async.update", ["%a", "%n", "%c0", "%n", "%b", "%n"]),
    ("%o = stream.async.copy %b[%c0 to %n], %a[%c0 to %n], %n : !stream.resource<*>{%n} -> %a as "
     "!stream.resource<*>{%n}", "stream.async.copy",
     ["%a", "%n", "%c0", "%n", "%b", "%n", "%c0", "%n", "%n"]),
])
def test_tied_target_is_operand_zero_in_ods_order(line: str, name: str, order: list[str]) -> None:
    text = f"""
util.func private @f(%a: !stream.resource<*>, %b: !stream.resource<*>, %n: index,
                     %v: i32) -> !stream.resource<*> {{
  %c0 = arith.constant 0 : index
  {line}
  util.return %o : !stream.resource<*>
}}
"""
    op = _op(load(text), name)
    assert [v.name for v in op.operands] == order
    _annotated_reparses(text)


def test_operands_inside_angle_brackets_after_the_op_name() -> None:
    module = load("""
util.func private @f(%d: !hal.device, %cb: !hal.command_buffer) -> i1 {
  %ok, %v = hal.device.query<%d : !hal.device> key("a" :: "b") : i1, i1 = false
  hal.command_buffer.execution_barrier<%cb : !hal.command_buffer> source("Dispatch")
      target("Dispatch") flags("None")
  util.return %v : i1
}
""")
    assert [v.name for v in _op(module, "hal.device.query").operands] == ["%d"]
    assert len(_op(module, "hal.device.query").results) == 2
    assert [v.name for v in _op(module, "hal.command_buffer.execution_barrier").operands] \
        == ["%cb"]


def test_unnamed_optimization_barrier_results_and_switch_dictionary() -> None:
    text = """
func.func @f(%a: !stream.resource<external>, %b: !stream.resource<external>, %x: i32) {
  util.optimization_barrier %a, %b : !stream.resource<external>, !stream.resource<external>
  cf.switch %x : i32, [
    default: ^bb1(%a : !stream.resource<external>),
    0: ^bb1(%b : !stream.resource<external>)
  ]
^bb1(%c: !stream.resource<external>):
  return
}
"""
    op = _op(load(text), "util.optimization_barrier")
    assert [r.type for r in op.results] == ["!stream.resource<external>"] * 2
    out = _annotated_reparses(text)
    assert "] {stream.affinities.operands" in out


def test_result_types_of_initialized_entries_and_unnamed_fat_arrow_results() -> None:
    module = load("""
func.func @f(%r: !stream.resource<staging>, %n: index) -> !stream.resource<constant> {
  %c4 = arith.constant 4 : index
  %k:3 = stream.resource.constants :
    !stream.resource<constant>{%c4} = dense<1> : tensor<1xi32>,
    !stream.resource<constant>{%c4} = dense<[2]> : tensor<1xi32>
    => !stream.timepoint
  stream.resource.dealloca %r : !stream.resource<staging>{%n} => !stream.timepoint
  return %k#1 : !stream.resource<constant>
}
""")
    constants = _op(module, "stream.resource.constants")
    assert [r.type for r in constants.results] == ["!stream.resource<constant>"] * 2 + [
        "!stream.timepoint"]
    assert [r.type for r in _op(module, "stream.resource.dealloca").results] == [
        "!stream.timepoint"]


def test_dispatch_region_dictionary_before_its_body_and_count_region_arguments() -> None:
    text = """
func.func @f(%n: index) -> tensor<?xf32> {
  %c1 = arith.constant 1 : index
  %r = flow.dispatch.region[%n] -> (tensor<?xf32>{%n}) {
    %e = tensor.empty(%n) : tensor<?xf32>
    flow.return %e : tensor<?xf32>
  } count(%w : index) -> (index, index, index) {
    flow.return %w, %c1, %c1 : index, index, index
  }
  return %r : tensor<?xf32>
}
"""
    op = _op(load(text), "flow.dispatch.region")
    assert [a.name for a in op.regions[1].blocks[0].arguments] == ["%w"]
    out = _annotated_reparses(text)
    assert "-> (tensor<?xf32>{%n}) attributes {" in out
    assert "flow.return {" in out


def test_annotating_annotated_output_changes_nothing() -> None:
    text = """
util.global private @dev : !hal.device
func.func @f(%n: index, %t: !stream.timepoint) -> (!stream.resource<staging>, !stream.timepoint) {
  %r:2 = stream.resource.alloca uninitialized on(#hal.device.affinity<@dev>) await(%t)
      => !stream.resource<staging>{%n} => !stream.timepoint
  %s:2 = stream.resource.alloca uninitialized on(#hal.device.affinity<@dev>)
      : !stream.resource<staging>{%n} => !stream.timepoint
  return %s#0, %r#1 : !stream.resource<staging>, !stream.timepoint
}
"""
    once = _annotated_reparses(text)
    assert "stream.affinities.results" in once
    module = load(once)
    assert annotate_text(module, solve_module(module)) == once


def test_command_function_declaration_with_subrange_arguments() -> None:
    module = load("""
stream.cmd.func private @ext(%r[%o for %l]: !stream.resource<*>, %x: i32)
""")
    op = _op(module, "stream.cmd.func")
    assert not op.operands and op.symbols == ["@ext"]
