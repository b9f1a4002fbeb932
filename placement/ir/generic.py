"""MLIR's generic op form, for ops whose custom form cannot carry a new attribute dictionary."""

from __future__ import annotations

from placement import ops as optable
from placement.ir.core import Module, Operation
from placement.ir.printer import format_attr_dict


def properties(op: Operation) -> dict[str, str]:
    """The op's inherent attributes (`<{...}>`), with `operandSegmentSizes` when its format
    declares several variadic or optional operand groups."""
    props = dict(op.syntax_attrs)
    fmt = optable.syntax_of(op.name)
    if fmt is not None and fmt.segments and op.syntax.segments:
        props["operandSegmentSizes"] = "array<i32: " + ", ".join(
            str(n) for n in op.syntax.segments) + ">"
    return props


def result_prefix(op: Operation) -> str:
    """`%a, %b:2 = ` for the op's results (empty when they have no names)."""
    names = [r.name for r in op.results]
    if not names or not all(names):
        return ""
    groups: list[str] = []
    for name in names:
        base = name.partition("#")[0]
        if base not in groups:
            groups.append(base)
    counts = [sum(1 for n in names if n.partition("#")[0] == g) for g in groups]
    return ", ".join(g if c == 1 else f"{g}:{c}" for g, c in zip(groups, counts,
                                                                  strict=True)) + " = "


def generic_form(module: Module, op: Operation, attrs: dict[str, str]) -> str:
    """`%r = "name"(%a, %b) <{props}> {attrs} : (types) -> types` for a region-less op."""
    props = op.syntax_attrs if op.syntax.generic else properties(op)
    text = result_prefix(op) + f'"{op.name}"(' + ", ".join(v.name for v in op.operands) + ")"
    if props:
        text += " <" + format_attr_dict(props) + ">"
    if attrs:
        text += " " + format_attr_dict(attrs)
    operand_types = ", ".join(v.type for v in op.operands)
    result_types = [r.type for r in op.results]
    results = result_types[0] if len(result_types) == 1 else "(" + ", ".join(result_types) + ")"
    return text + f" : ({operand_types}) -> {results}"
