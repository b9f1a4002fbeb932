"""`placement explain`: why each device is in a value's (or op's) affinity set.

The model (Z3) and rich load only when the command runs.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from placement.commands.common import (
    FileArg,
    OutputOpt,
    Run,
    Semantics,
    SemanticsOpt,
    json_text,
    reports_errors,
)
from placement.diagnostics import PlacementError

if TYPE_CHECKING:
    from rich.tree import Tree

    from placement.explain import Explainer, Explanation
    from placement.ir.core import Module


class ExplainFormat(StrEnum):
    """Output formats of `explain`."""

    tree = "tree"
    json = "json"


# `LINE`, `LINE:COL` or `FILE:LINE:COL` (a FILE:LINE pair would read as LINE:COL).
_LOCATION = re.compile(r"^(?:(?P<file>.+):(?=\d+:\d+$))?(?P<line>\d+)(?::(?P<col>\d+))?$")


def parse_location(text: str) -> tuple[int, int | None]:
    """(line, column or None) of an `--op` location; a PlacementError if it is not one."""
    m = _LOCATION.match(text.strip())
    if m is None:
        raise PlacementError(f"bad --op location {text!r}: expected LINE or LINE:COL "
                             "(optionally FILE:LINE:COL)", "--op")
    return int(m["line"]), int(m["col"]) if m["col"] else None


def _at(location: str | None) -> str:
    """`file:12:3` -> `at 12:3` (the file is in the header and in the JSON)."""
    if not location:
        return ""
    parts = location.rsplit(":", 2)
    return "  at " + ":".join(parts[-2:]) if len(parts) == 3 else "  " + location


def render_tree(exp: Explanation) -> Tree:
    """A rich tree: the element, then per device its derivation, or the failure."""
    from rich.text import Text
    from rich.tree import Tree

    from placement.report import short

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
                   op_location: tuple[int, int | None] | None,
                   semantics: str = "seed") -> list[Explanation]:
    """Explanations for the requested value (`%v`, or a global `@g`) or op of one module
    (empty if not found)."""
    from placement.explain import Explainer, find_globals, find_ops, find_values, function_name_of

    explainer: Explainer | None = None

    def get() -> Explainer:
        nonlocal explainer
        explainer = explainer or Explainer(module, semantics=semantics)
        return explainer

    out: list[Explanation] = []
    if value is not None and value.startswith("@"):
        out.extend(get().explain_global(g) for g in find_globals(module, value))
    elif value is not None:
        values = find_values(module, value, function)
        if len({function_name_of(v) for v in values}) > 1 and function is None:
            names = ", ".join(sorted({function_name_of(v) or "?" for v in values}))
            raise PlacementError(f"value {value} is defined in several functions ({names}); "
                                 "choose one with --function", module.filename)
        out.extend(get().explain_value(v) for v in values)
    if op_location is not None:
        for op in find_ops(module, *op_location):
            out.extend(get().explain_op(op))
    return out


@reports_errors
def explain_command(
    input: FileArg,
    value: Annotated[str | None, typer.Option(
        "--value", metavar="NAME", help="SSA value (e.g. %cst) or global (@g) to explain.")
    ] = None,
    function: Annotated[str | None, typer.Option(
        "--function", metavar="@F", help="Function the value is in (e.g. @caller).")] = None,
    op: Annotated[str | None, typer.Option(
        "--op", metavar="LINE[:COL]", help="Op to explain, by source location.")] = None,
    split_input_file: Annotated[bool, typer.Option(
        "--split-input-file", help="Search every '// -----' case of the file.")] = False,
    format: Annotated[ExplainFormat, typer.Option("--format", "-f", help="tree or json.")
                      ] = ExplainFormat.tree,
    output: OutputOpt = "-",
    semantics: SemanticsOpt = Semantics.seed,
) -> None:
    """Explain why each device is in a value's (or an op's) affinity set, or why it is [].

    Each device gets its shortest derivation from an explicit affinity through the model's
    read edges (each step names the rule, the op and its source line); a `[]` gets the
    incomplete traversal behind it, or "no producer and no default".

    Examples:

      placement explain model.mlir --value %cst --function @caller

      placement explain model.mlir --value @weights

      placement explain model.mlir --op 12:3 --format json
    """
    if value is None and op is None:
        raise PlacementError("nothing to explain: give --value NAME or --op LINE[:COL]", "")
    location = parse_location(op) if op is not None else None
    run = Run(input, output, split_input_file)
    found: list[Explanation] = []
    for part in run.each(lambda item: explain_module(item.module, value, function, location,
                                                         semantics.value)):
        found.extend(part or [])
    if not found and not run.failures:
        what = f"value {value}" if value is not None else f"op at {op}"
        where = f" in function {function}" if function else ""
        raise PlacementError(f"no {what}{where} found", run.name)
    if format == ExplainFormat.json:
        doc = {"schema": "placement.explain/1", "file": run.name,
               "explanations": [e.as_json() for e in found]}
        run.finish(json_text(doc))
        return
    console = run.output.console(width=200)
    for exp in found:
        console.print(render_tree(exp))
    run.finish()
