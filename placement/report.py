"""Human and machine reports of an affinity solution: a rich table and a JSON document.

The JSON schema (`placement.affinities/1`) is documented in docs/json.md.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from placement import ops as optable
from placement.annotate import OpAnnotation
from placement.ir.core import Module, Operation
from placement.ir.explorer import symbol_name
from placement.ops import Role
from placement.solution import Solution

_SHORT = re.compile(r"^#hal\.device\.(?:promise|affinity)<(@[\w$.\-]+)>$")


def short(affinity: str) -> str:
    """`#hal.device.promise<@dev_a>` -> `@dev_a`; other affinities are kept whole."""
    m = _SHORT.match(affinity)
    return m.group(1) if m else affinity


def _function_of(op: Operation) -> Operation | None:
    for x in op.ancestors():
        if optable.info(x).role == Role.FUNCTION:
            return x
    return None


def _op_label(op: Operation) -> str:
    names = ", ".join(r.name for r in op.results if r.name)
    return f"{names} = {op.name}" if names else op.name


def _set_text(items: list[str] | None) -> Text:
    if items is None:
        return Text("")
    if not items:
        return Text("[]", style="bold red")
    text = Text("[" + ", ".join(short(a) for a in items) + "]")
    if len(items) > 1:
        text.stylize("bold yellow")
    return text


def _sets_text(lists: list[list[str]] | None) -> Text:
    if lists is None:
        return Text("")
    out = Text()
    for i, items in enumerate(lists):
        if i:
            out.append(" ")
        out.append_text(_set_text(items))
    return out


def print_table(module: Module, solution: Solution, anns: list[OpAnnotation],
                console: Console | None = None) -> None:
    """Per function, each annotated op with its execution, operand and result sets.

    Ambiguous sets (more than one device) are yellow, failed ones (`[]`) red.
    """
    console = console or Console(highlight=False)
    groups: dict[int, list[OpAnnotation]] = {}
    order: list[Operation] = []
    module_key = module.root
    for ann in anns:
        owner = _function_of(ann.op) or module_key
        if id(owner) not in groups:
            groups[id(owner)] = []
            order.append(owner)
        groups[id(owner)].append(ann)
    for owner in order:
        if owner is module_key:
            title = "globals"
        else:
            title = f"{owner.name} {symbol_name(owner) or ''}  ({owner.loc})"
        table = Table(title=title, title_justify="left", show_lines=False)
        table.add_column("line", justify="right", style="dim")
        table.add_column("op")
        table.add_column("executes on")
        table.add_column("operands")
        table.add_column("results")
        for ann in groups[id(owner)]:
            label = _op_label(ann.op) if owner is not module_key else \
                f"{ann.op.name} {symbol_name(ann.op) or ''}"
            table.add_row(str(ann.op.loc.line), label, _set_text(ann.execution),
                          _sets_text(ann.operands), _sets_text(ann.results))
        console.print(table)
    console.print("[yellow]yellow[/]: more than one device (ambiguous)   "
                  "[red]red []:[/] no answer (unknown producer or no default)")


def affinity_json(module: Module, solution: Solution,
                  anns: list[OpAnnotation]) -> dict[str, object]:
    """One case of the `placement.affinities/1` JSON document."""
    devices: set[str] = set()
    ops_out: list[dict[str, object]] = []
    for ann in anns:
        for items in [ann.execution or []] + (ann.operands or []) + (ann.results or []):
            devices.update(items)
        owner = _function_of(ann.op)
        ops_out.append({
            "op": ann.op.name,
            "line": ann.op.loc.line,
            "column": ann.op.loc.col,
            "function": symbol_name(owner) if owner is not None else None,
            "symbol": symbol_name(ann.op),
            "results": [r.name for r in ann.op.results],
            "execution": ann.execution,
            "operand_affinities": ann.operands,
            "result_affinities": ann.results,
        })
    return {"devices": sorted(devices, key=str.encode), "ops": ops_out}
