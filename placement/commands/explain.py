"""`placement explain`: why each device is in a value's (or op's) affinity set."""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from placement.diagnostics import PlacementError
from placement.explain import Explainer, Explanation, find_ops, find_values, function_name_of
from placement.inputs import read_input, split_cases
from placement.ir.core import Module
from placement.ir.parser import parse
from placement.iree313 import SEMANTICS
from placement.report import short


class ExplainFormat(StrEnum):
    """Output formats of `explain`."""

    tree = "tree"
    json = "json"


_LOCATION = re.compile(r"^(?:.*:)?(\d+)(?::(\d+))?$")


def _short_list(devices: list[str]) -> str:
    return "[" + ", ".join(short(d) for d in devices) + "]"


def _at(location: str | None) -> str:
    """`file:12:3` -> `at 12:3` (the file is in the header and in the JSON)."""
    if not location:
        return ""
    parts = location.rsplit(":", 2)
    return "  at " + ":".join(parts[-2:]) if len(parts) == 3 else "  " + location


def render_tree(exp: Explanation) -> Tree:
    """A rich tree: the element, then per device its derivation, or the failure."""
    head = Text(f"{exp.what}: {exp.element} prints ")
    head.append(exp.printed if exp.devices else (exp.printed if exp.printed != "[]" else "[]"),
                style="bold" if exp.devices else "bold red")
    if exp.location:
        head.append(f"  ({exp.location})", style="dim")
    tree = Tree(head)
    for der in exp.derivations:
        node = tree.add(Text(f"{short(der.device)}: {len(der.steps)} step(s)", style="bold"))
        for step in der.steps:
            line = Text(f"{step.reader} reads {step.source}  ")
            line.append(f"[{step.rule}]", style="cyan")
            if step.op:
                line.append(f"  {step.op}")
            line.append(_at(step.location), style="dim")
            node.add(line)
        end = Text(f"{der.origin} = {short(der.device)}: {der.origin_reason}", style="green")
        end.append(_at(der.origin_location), style="dim")
        node.add(end)
    if exp.failure is not None:
        node = tree.add(Text(f"why: {exp.failure.kind}", style="bold red"))
        for step in exp.failure.steps:
            line = Text(f"{step.reader} reads {step.source}  ")
            line.append(f"[{step.rule}]", style="cyan")
            line.append(_at(step.location), style="dim")
            node.add(line)
        for reason in exp.failure.reasons:
            node.add(Text(reason))
    return tree


def explain_module(module: Module, value: str | None, function: str | None,
                   op_location: str | None, semantics: str = "seed") -> list[Explanation]:
    """Explanations for the requested value or op of one module (empty if not found)."""
    explainer: Explainer | None = None
    out: list[Explanation] = []
    if value is not None:
        values = find_values(module, value, function)
        if len({function_name_of(v) for v in values}) > 1 and function is None:
            names = ", ".join(sorted({function_name_of(v) or "?" for v in values}))
            raise PlacementError(f"value {value} is defined in several functions ({names}); "
                                 "choose one with --function", module.filename)
        if values:
            explainer = Explainer(module, semantics=semantics)
            out.extend(explainer.explain_value(v) for v in values)
    if op_location is not None:
        m = _LOCATION.match(op_location)
        if m is None:
            raise PlacementError(f"bad --op location {op_location!r}: expected LINE or "
                                 "LINE:COL (optionally FILE:LINE:COL)", module.filename)
        ops = find_ops(module, int(m.group(1)), int(m.group(2)) if m.group(2) else None)
        if ops:
            explainer = explainer or Explainer(module, semantics=semantics)
            for op in ops:
                out.extend(explainer.explain_op(op))
    return out


def explain_command(
    input: Annotated[str, typer.Argument(help="Input MLIR file, or '-' for stdin.")],
    value: Annotated[str | None, typer.Option(
        "--value", help="SSA value to explain (e.g. %cst).")] = None,
    function: Annotated[str | None, typer.Option(
        "--function", help="Function the value is in (e.g. @caller).")] = None,
    op: Annotated[str | None, typer.Option(
        "--op", help="Op to explain, by source location LINE[:COL].")] = None,
    split_input_file: Annotated[bool, typer.Option(
        "--split-input-file", help="Search every '// -----' case of the file.")] = False,
    format: Annotated[ExplainFormat, typer.Option("--format", "-f", help="tree or json.")
                      ] = ExplainFormat.tree,
    semantics: Annotated[str, typer.Option(
        "--semantics", help="seed, or iree-3.13 (the IREE 3.13 profile's model).")] = "seed",
) -> None:
    """Explain why each device is in a value's (or an op's) affinity set, or why it is [].

    Each device gets its shortest derivation from an explicit affinity through the model's
    read edges (each step names the rule, the op and its source line); a `[]` gets the
    incomplete traversal behind it, or "no producer and no default".

    Examples:

      placement explain model.mlir --value %cst --function @caller

      placement explain model.mlir --op 12 --format json
    """
    if semantics not in SEMANTICS:
        raise PlacementError(f"--semantics must be one of {', '.join(SEMANTICS)}, "
                             f"not {semantics!r}")
    if value is None and op is None:
        raise PlacementError("nothing to explain: give --value NAME or --op LINE[:COL]")
    name, text = read_input(input)
    found: list[Explanation] = []
    for case in split_cases(text, split_input_file):
        if split_input_file and not case.text.strip():
            continue
        found.extend(explain_module(parse(case.text, name), value, function, op, semantics))
    if not found:
        what = f"value {value}" if value is not None else f"op at {op}"
        where = f" in function {function}" if function else ""
        raise PlacementError(f"no {what}{where} found", name)
    if format == ExplainFormat.json:
        doc = {"schema": "placement.explain/1", "file": name,
               "explanations": [e.as_json() for e in found]}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    console = Console(highlight=False, width=200)
    for exp in found:
        console.print(render_tree(exp))
