"""The op table's control-flow interfaces (placement/ops.py), and that no code outside the op
table compares op names.

The expectations are derived by hand from MLIR's interfaces (RegionBranchOpInterface,
BranchOpInterface, CallOpInterface, return-like terminators) as the spec states them
(`../shared/spec/affinity-analysis.md` 1.2-1.3).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from placement import ops as optable
from placement.ir import load
from placement.ir.core import Block, Module, Operation, Value
from placement.ir.explorer import Explorer
from placement.ops import Across, CallFlow

PACKAGE = Path(__file__).resolve().parent.parent / "placement"

# ------------------------------------------------------------------ no op-name comparisons
# Dialects whose ops the project reads; a dotted literal of one of them compared with a
# `.name` is an op name. `hal.device...` literals name a type (`!hal.device`) and attributes
# (`#hal.device.affinity<...>`), not ops.
_OP_DIALECTS = re.compile(r"^(builtin|func|arith|cf|scf|flow|hal|util|stream)\.[a-z_]")
_NOT_OPS = ("hal.device",)
KNOWN_OPS = set(optable.TABLE) | {n for n in optable.ALIASES.values() if "." in n}


def _is_op_name(text: str, against_name: bool) -> bool:
    if text in KNOWN_OPS:
        return True
    return against_name and bool(_OP_DIALECTS.match(text)) and not text.startswith(_NOT_OPS)


def _strings(node: ast.AST) -> list[ast.Constant]:
    """The string constants of `node` itself or of a tuple/list/set literal."""
    elts = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [e for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _is_name_access(node: ast.AST) -> bool:
    """`x.name` (or `x.name.partition(...)[0]` and similar on it)."""
    while isinstance(node, ast.Subscript | ast.Call):
        node = node.value if isinstance(node, ast.Subscript) else node.func
        if isinstance(node, ast.Attribute) and node.attr != "name":
            node = node.value
    return isinstance(node, ast.Attribute) and node.attr == "name"


def op_name_comparisons(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every op-name comparison in Python source: an op-name literal
    compared (`==`, `!=`, `in`, `not in`) with anything, a dotted dialect literal compared
    with a `.name`, a `.name.startswith(...)` test on one, dict keys and collection literals
    of op names."""
    hits: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            against_name = any(_is_name_access(s) for s in sides)
            for side in sides:
                hits.extend((c.lineno, c.value) for c in _strings(side)
                            if _is_op_name(c.value, against_name))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("startswith", "endswith") \
                and _is_name_access(node.func.value):
            for arg in node.args:
                hits.extend((c.lineno, c.value) for c in _strings(arg)
                            if _is_op_name(c.value + "x", True))
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    hits.extend((c.lineno, c.value) for c in _strings(key)
                                if _is_op_name(c.value, False))
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            strings = _strings(node)
            if strings and len(strings) == len(node.elts):
                hits.extend((c.lineno, c.value) for c in strings if _is_op_name(c.value, False))
    return sorted(set(hits))


@pytest.mark.parametrize("source, expected", [
    ('if op.name == "scf.for": pass', [(1, "scf.for")]),
    ('x = op.name != "stream.async.frobnicate"', [(1, "stream.async.frobnicate")]),
    ('x = name in ("util.global.load", "util.global.store")',
     [(1, "util.global.load"), (1, "util.global.store")]),
    ('T = {"flow.dispatch": 1}', [(1, "flow.dispatch")]),
    ('S = frozenset({"cf.br", "cf.cond_br"})', [(1, "cf.br"), (1, "cf.cond_br")]),
    ('x = op.name.startswith("hal.")', [(1, "hal.")]),
    ('x = names[0] == "builtin.module"', [(1, "builtin.module")]),
    # Not op names: attribute and type names, attribute lookups, printed text.
    ('x = value.name == "hal.device.affinity"', []),
    ('x = op.attr("stream.affinity") is not None', []),
    ('x = enc.name in {"iree_encoding.identity"}', []),
    ('emit("util.return")', []),
])
def test_the_scanner_finds_op_name_comparisons(source: str,
                                               expected: list[tuple[int, str]]) -> None:
    assert op_name_comparisons(source) == expected


def test_no_code_outside_the_op_table_compares_op_names() -> None:
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "ops.py":
            continue
        for line, literal in op_name_comparisons(path.read_text()):
            hits.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {literal!r}")
    assert hits == []


# ------------------------------------------------------------------ the interface queries
def _module(text: str) -> Module:
    return load(text, "interfaces.mlir")


def _ops(module: Module, name: str) -> list[Operation]:
    return [op for op in module.root.walk() if op.name == name]


def _value(module: Module, name: str) -> Value:
    for op in module.root.walk():
        for region in op.regions:
            for block in region.blocks:
                for arg in block.arguments:
                    if arg.name == name:
                        return arg
        for r in op.results:
            if r.name == name:
                return r
    raise KeyError(name)


def _names(flows: list[optable.Flow] | None) -> set[str]:
    assert flows is not None
    out = set()
    for f in flows:
        assert isinstance(f, Value), f
        out.add(f.name)
    return out


def _block(module: Module, label: str) -> Block:
    for op in module.root.walk():
        for region in op.regions:
            for block in region.blocks:
                if block.label == label:
                    return block
    raise KeyError(label)


T = "tensor<4xf32>"

SCF_FOR = f"""
util.func private @f(%t: {T}, %u: {T}) -> ({T}, {T}) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%a = %t, %b = %u) -> ({T}, {T}) {{
    scf.yield %b, %a : {T}, {T}
  }}
  util.return %r#0, %r#1 : {T}, {T}
}}
"""


def test_scf_for_inits_enter_the_iter_args_and_the_results() -> None:
    m = _module(SCF_FOR)
    loop, = _ops(m, "scf.for")
    yield_, = _ops(m, "scf.yield")
    # lb, ub, step go nowhere; init k (operand 3+k) -> iter_arg k (block arg 1+k), result k.
    assert [optable.operand_targets(loop, i) for i in range(3)] == [[], [], []]
    assert _names(optable.operand_targets(loop, 3)) == {"%a", "%r#0"}
    assert _names(optable.operand_targets(loop, 4)) == {"%b", "%r#1"}
    # The yield's operand k goes back to iter_arg k and out to result k.
    assert _names(optable.operand_targets(yield_, 0)) == {"%a", "%r#0"}
    assert _names(optable.operand_targets(yield_, 1)) == {"%b", "%r#1"}
    # Inverses: the induction variable has no source; iter_arg k = init k + yield operand k.
    assert _names(optable.value_sources(_value(m, "%i"))) == set()
    assert _names(optable.value_sources(_value(m, "%a"))) == {"%t", "%b"}
    assert _names(optable.value_sources(_value(m, "%b"))) == {"%u", "%a"}
    assert _names(optable.value_sources(_value(m, "%r#0"))) == {"%b"}
    assert _names(optable.value_sources(_value(m, "%r#1"))) == {"%a"}
    assert optable.forwarded_operands(yield_) == yield_.operands


SCF_WHILE = f"""
util.func private @w(%t: {T}, %c: i1) -> {T} {{
  %r = scf.while (%x = %t) : ({T}) -> {T} {{
    scf.condition(%c) %x : {T}
  }} do {{
  ^bb0(%y: {T}):
    scf.yield %y : {T}
  }}
  util.return %r : {T}
}}
"""


def test_scf_while_condition_and_after_yield() -> None:
    m = _module(SCF_WHILE)
    loop, = _ops(m, "scf.while")
    cond, = _ops(m, "scf.condition")
    yield_, = _ops(m, "scf.yield")
    assert _names(optable.operand_targets(loop, 0)) == {"%x"}
    # scf.condition: operand 0 is the i1; operand 1+k -> after-arg k and result k.
    assert optable.operand_targets(cond, 0) == []
    assert _names(optable.operand_targets(cond, 1)) == {"%y", "%r"}
    assert [v.name for v in optable.forwarded_operands(cond)] == ["%x"]
    # The after region's yield goes back to the before region only.
    assert _names(optable.operand_targets(yield_, 0)) == {"%x"}
    assert _names(optable.value_sources(_value(m, "%x"))) == {"%t", "%y"}
    assert _names(optable.value_sources(_value(m, "%y"))) == {"%x"}
    assert _names(optable.value_sources(_value(m, "%r"))) == {"%x"}


def test_the_explorer_keeps_the_seed_quirks_on_top_of_the_interfaces() -> None:
    m = _module(SCF_WHILE)
    ex = Explorer(m)
    r = _value(m, "%r")
    cond, = _ops(m, "scf.condition")
    yield_, = _ops(m, "scf.yield")
    # Q8: the while result is also defined by the after region's yield.
    values, incomplete = ex.expand_definition(r, follow_ties=False)  # type: ignore[arg-type]
    assert {v.name for v in values} == {"%x", "%y"} and not incomplete
    # Q9: the after yield's use goes to the while result; Q10: the condition is a dead end.
    use = next(u for u in _value(m, "%y").uses if u.owner is yield_)
    assert [v.name for v in ex.expand_use(use, follow_ties=False)[0]] == ["%r"]
    use = next(u for u in _value(m, "%x").uses if u.owner is cond)
    assert ex.expand_use(use, follow_ties=False) == ([], False)
    # spec 2.1: before-arg = init + after yield; after-arg = condition operand 1.
    assert {v.name for v in ex.incoming(_value(m, "%x"))[0]} == {"%t", "%y"}  # type: ignore[arg-type]


SCF_IF = f"""
util.func private @i(%c: i1, %t: {T}, %u: {T}) -> {T} {{
  %r = scf.if %c -> ({T}) {{
    scf.yield %t : {T}
  }} else {{
    scf.yield %u : {T}
  }}
  util.return %r : {T}
}}
"""


def test_scf_if_yields_are_its_results() -> None:
    m = _module(SCF_IF)
    branch, = _ops(m, "scf.if")
    then, other = _ops(m, "scf.yield")
    assert optable.operand_targets(branch, 0) == []
    assert _names(optable.operand_targets(then, 0)) == {"%r"}
    assert _names(optable.operand_targets(other, 0)) == {"%r"}
    assert _names(optable.value_sources(_value(m, "%r"))) == {"%t", "%u"}


CF = f"""
util.func private @b(%c: i1, %t: {T}, %u: {T}) -> {T} {{
  cf.cond_br %c, ^bb1(%t : {T}), ^bb2(%u, %t : {T}, {T})
^bb1(%x: {T}):
  cf.br ^bb3(%x : {T})
^bb2(%y: {T}, %z: {T}):
  cf.br ^bb3(%z : {T})
^bb3(%w: {T}):
  util.return %w : {T}
}}
"""


def test_branch_operand_groups_go_to_their_successor_arguments() -> None:
    m = _module(CF)
    cond_br, = _ops(m, "cf.cond_br")
    assert optable.operand_targets(cond_br, 0) == []
    assert _names(optable.operand_targets(cond_br, 1)) == {"%x"}
    assert _names(optable.operand_targets(cond_br, 2)) == {"%y"}
    assert _names(optable.operand_targets(cond_br, 3)) == {"%z"}
    assert [v.name for v in optable.successor_operands(cond_br, 0)] == ["%t"]
    assert [v.name for v in optable.successor_operands(cond_br, 1)] == ["%u", "%t"]
    assert _names(optable.value_sources(_value(m, "%w"))) == {"%x", "%z"}
    assert _names(optable.value_sources(_value(m, "%z"))) == {"%t"}
    assert _block(m, "^bb3").arguments[0] is _value(m, "%w")


CALLS = f"""
util.func private @callee(%a: {T}) -> {T} {{
  util.return %a : {T}
}}
util.func private @caller(%t: {T}) -> {T} {{
  %r = util.call @callee(%t) : ({T}) -> {T}
  util.return %r : {T}
}}
util.func public @entry(%p: {T}) -> {T} {{
  util.return %p : {T}
}}
"""


def test_calls_flow_into_the_callee_and_returns_into_the_call_sites() -> None:
    m = _module(CALLS)
    call, = _ops(m, "util.call")
    callee, caller, entry = m.top_level_ops()
    ret = callee.regions[0].blocks[0].ops[-1]
    assert optable.callee_symbol(call) == "@callee"
    assert optable.operand_targets(call, 0) == [CallFlow(Across.CALLEE_ARG, call, 0)]
    assert optable.operand_targets(ret, 0) == [CallFlow(Across.CALLER_RESULT, callee, 0)]
    a, r = _value(m, "%a"), _value(m, "%r")
    assert optable.value_sources(a) == [CallFlow(Across.CALLER_OPERAND, callee, 0)]
    assert optable.value_sources(r) == [CallFlow(Across.CALLEE_RETURN, call, 0)]
    ex = Explorer(m)
    assert ex.resolve(optable.operand_targets(call, 0)) == ([a], False)
    assert ex.resolve(optable.operand_targets(ret, 0)) == ([r], False)
    assert ex.resolve(optable.value_sources(a) or []) == ([_value(m, "%t")], False)
    assert ex.resolve(optable.value_sources(r) or []) == ([a], False)
    # A public function may have callers outside the module: INCOMPLETE.
    public_ret = entry.regions[0].blocks[0].ops[-1]
    assert ex.resolve(optable.operand_targets(public_ret, 0)) == ([], True)


TIES = f"""
util.func private @d(%t: {T}, %u: {T}, %fence: !hal.fence) -> ({T}, {T}) {{
  %c1 = arith.constant 1 : index
  %r:2 = flow.dispatch @ex::@fn[%c1](%t, %u) : ({T}, {T}) -> (%u, {T})
  %s = flow.tensor.reshape %t : {T} -> tensor<2x2xf32>
  %b:2 = hal.tensor.barrier join(%r#0, %r#1 : {T}, {T}) => %fence : !hal.fence
  util.return %b#0, %b#1 : {T}, {T}
}}
"""


def test_tied_operand_and_result_pairs() -> None:
    m = _module(TIES)
    dispatch, = _ops(m, "flow.dispatch")
    reshape, = _ops(m, "flow.tensor.reshape")
    barrier, = _ops(m, "hal.tensor.barrier")
    # Operands of the dispatch: %c1 (workload), %t, %u; result 0 is `-> %u`.
    assert [optable.tied_operand(dispatch, r) for r in range(2)] == [2, None]
    assert [optable.tied_results(dispatch, i) for i in range(3)] == [[], [], [0]]
    assert optable.tied_operand(reshape, 0) == 0
    assert [optable.tied_operand(barrier, r) for r in range(2)] == [0, 1]
    assert optable.tied_results(barrier, 1) == [1]
    # Ties are not control flow.
    assert optable.operand_targets(dispatch, 2) == []


def test_unmodelled_region_branch_and_unknown_region_entries_are_unknown() -> None:
    m = _module(f"""
util.func private @e(%t: {T}) -> {T} {{
  %r = scf.execute_region -> {T} {{
    scf.yield %t : {T}
  }}
  %d = "test.region"(%t) ({{
  ^bb0(%in: {T}):
    "test.terminator"() : () -> ()
  }}) : ({T}) -> {T}
  util.return %r : {T}
}}
""")
    yield_, = _ops(m, "scf.yield")
    assert optable.operand_targets(yield_, 0) == []
    assert optable.value_sources(_value(m, "%in")) is None
    assert Explorer(m).incoming(_value(m, "%in")) == ([], True)  # type: ignore[arg-type]
