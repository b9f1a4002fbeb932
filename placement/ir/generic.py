"""MLIR's generic op form, for ops whose custom syntax cannot carry an attribute dictionary."""

from __future__ import annotations

from placement import ops as optable
from placement.ir.core import Module, Operation
from placement.ir.printer import format_attr_dict


def generic_form(module: Module, op: Operation, attrs: dict[str, str]) -> str:
    """`%r = "name"(%a, %b) <{props}> {attrs} : (types) -> types` for a region-less op."""
    hook = optable.info(op).generic_properties
    props = hook(op) if hook is not None else {}
    names = [r.name for r in op.results]
    text = ""
    if names and all(names):
        groups: list[str] = []
        for name in names:
            base = name.partition("#")[0]
            if base not in groups:
                groups.append(base)
        counts = [sum(1 for n in names if n.partition("#")[0] == g) for g in groups]
        text = ", ".join(g if c == 1 else f"{g}:{c}" for g, c in zip(groups, counts,
                                                                       strict=True)) + " = "
    text += f'"{op.name}"(' + ", ".join(v.name for v in op.operands) + ")"
    if props:
        text += " <" + format_attr_dict(props) + ">"
    if attrs:
        text += " " + format_attr_dict(attrs)
    operand_types = ", ".join(v.type for v in op.operands)
    result_types = [r.type for r in op.results]
    results = result_types[0] if len(result_types) == 1 else "(" + ", ".join(result_types) + ")"
    return text + f" : ({operand_types}) -> {results}"
