"""Reports of a placement: the `placement.place/1` JSON document (docs/place.md), a rich table
built from it, and a Graphviz view of the op graph coloured by device."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from placement.model.place_cpsat import SolveResult
from placement.place.baselines import greedy, one_device
from placement.place.cost import Assignment, Breakdown, evaluate, iree_assignment, objective
from placement.place.problem import Problem
from placement.report import short

SCHEMA = "placement.place/1"


def _terms(problem: Problem, b: Breakdown) -> dict[str, int]:
    return {"objective": objective(problem, b), "cost": b.cost, "transfer_bytes": b.transfer,
            "storage": b.storage, "makespan": b.makespan, "balance": b.balance,
            "over_budget_bytes": b.over, "changes": b.changes}


def _where(problem: Problem, devs: tuple[int, ...]) -> list[str]:
    return [problem.devices[k] for k in devs]


def build_report(problem: Problem, result: SolveResult, place: Assignment, file: str,
                 pins: int | None, unrealized: list[str], evaluate_only: bool) -> dict[str, Any]:
    """The JSON document of one placement (schema in docs/place.md)."""
    chosen = evaluate(problem, place)
    iree = evaluate(problem, iree_assignment(problem))
    baselines: list[dict[str, Any]] = [{"name": "iree", **_terms(problem, iree)}]
    for k, name in enumerate(problem.names):
        baselines.append({"name": f"all_on {name}",
                          **_terms(problem, evaluate(problem, one_device(problem, k)))})
    baselines.append({"name": "greedy", **_terms(problem, evaluate(problem, greedy(problem)))})
    links = [{"from": problem.names[a], "to": problem.names[c], "bytes": n,
              "weight": problem.weights[a][c]}
             for (a, c), n in sorted(chosen.link_bytes.items())]
    memory = [{"device": problem.names[k], "affinity": problem.devices[k],
               "bytes": chosen.memory[k], "budget": problem.budgets.get(k),
               "over": max(0, chosen.memory[k] - problem.budgets[k])
               if k in problem.budgets else 0, "work": chosen.work[k]}
              for k in range(len(problem.devices))]
    decisions = []
    for d in problem.decisions:
        decisions.append({
            "kind": "global" if d.is_global else "op", "label": d.label,
            "line": d.subject.loc.line, "column": d.subject.loc.col,
            "fixed": len(d.candidates) == 1, "explicit": d.explicit,
            "candidates": _where(problem, d.candidates),
            "choice": _where(problem, place[d.index]), "iree": problem.devices[d.iree],
            "changed": place[d.index] != (d.iree,)})
    return {
        "schema": SCHEMA, "file": file, "mode": "evaluate" if evaluate_only else "solve",
        "status": result.status, "objective": result.objective, "lower_bound": result.bound,
        "gap": result.gap, "solve_seconds": round(result.seconds, 3), "size": result.size,
        "devices": problem.devices, "assumptions": problem.assumptions,
        "conflicts": result.conflicts, "over_budget": chosen.over > 0,
        "chosen": _terms(problem, chosen), "baselines": baselines,
        "saving_vs_iree": {"cost": iree.cost - chosen.cost,
                           "over_budget_bytes": iree.over - chosen.over},
        "links": links, "memory": memory, "decisions": decisions, "pins": pins,
        "unrealized": unrealized,
    }


def print_report(doc: dict[str, Any], console: Console) -> None:
    """The report as rich tables."""
    gap = doc["gap"]
    head = (f"{doc['file']}: {doc['status']}  objective {doc['objective']}  lower bound "
            f"{doc['lower_bound']}  gap {'-' if gap is None else f'{gap:.2%}'}  "
            f"{doc['solve_seconds']:.2f} s")
    console.print(Text(head))
    size = doc["size"]
    if size:
        console.print(Text(
            f"size: {size['decisions']} decisions ({size['variables_unreduced']} candidate "
            f"variables) -> {size['free_groups']} free groups, {size['variables']} variables, "
            f"{size['constraints']} constraints"))
    for line in doc["assumptions"]:
        console.print(Text(f"assumption: {line}"))
    if doc["over_budget"]:
        console.print(Text("OVER BUDGET: no placement fits the budgets; this one is the least "
                           "over", style="bold red"))
    for c in doc["conflicts"]:
        console.print(Text(f"conflict: {c}", style="red"))
    base = Table(title="cost (bytes)", title_justify="left")
    for col in ("placement", "objective", "transfer", "storage", "balance", "over budget",
                "changes"):
        base.add_column(col, justify="left" if col == "placement" else "right")
    rows = [{"name": "chosen", **doc["chosen"]}, *doc["baselines"]]
    for r in rows:
        base.add_row(r["name"], str(r["objective"]), str(r["transfer_bytes"]),
                     str(r["storage"]), str(r["balance"]), str(r["over_budget_bytes"]),
                     str(r["changes"]))
    console.print(base)
    s = doc["saving_vs_iree"]
    console.print(Text(f"saving vs IREE's rule: {s['cost']} bytes"
                       + (f", {s['over_budget_bytes']} bytes less over budget"
                          if s["over_budget_bytes"] else "")))
    if doc["links"]:
        links = Table(title="transfers per link", title_justify="left")
        for col in ("from", "to", "bytes", "weight"):
            links.add_column(col)
        for r in doc["links"]:
            links.add_row(r["from"], r["to"], str(r["bytes"]), str(r["weight"]))
        console.print(links)
    mem = Table(title="memory per device", title_justify="left")
    for col in ("device", "bytes", "budget", "over", "work"):
        mem.add_column(col)
    for r in doc["memory"]:
        mem.add_row(r["device"], str(r["bytes"]),
                    "-" if r["budget"] is None else str(r["budget"]), str(r["over"]),
                    str(r["work"]))
    console.print(mem)
    dec = Table(title="decisions (fixed ones omitted)", title_justify="left")
    for col in ("kind", "decision", "candidates", "choice", "IREE", ""):
        dec.add_column(col)
    for r in doc["decisions"]:
        if r["fixed"]:
            continue
        dec.add_row(r["kind"], Text(r["label"]), ", ".join(short(x) for x in r["candidates"]),
                    ", ".join(short(x) for x in r["choice"]), short(r["iree"]),
                    "changed" if r["changed"] else "")
    console.print(dec)
    if doc["pins"] is not None:
        console.print(Text(f"pins written: {doc['pins']}"))
    for u in doc["unrealized"]:
        console.print(Text(f"not derivable with pins: {u}", style="yellow"))


_COLOURS = ("lightblue", "palegreen", "gold", "salmon", "plum", "khaki", "lightgrey", "cyan")


def dot(problem: Problem, place: Assignment) -> str:
    """Graphviz: decisions coloured by device, cross-device flows labelled with bytes."""
    lines = ["digraph placement {", "  node [style=filled, shape=box];"]
    for d in problem.decisions:
        devs = place[d.index]
        colour = _COLOURS[devs[0] % len(_COLOURS)]
        where = ", ".join(problem.names[k] for k in devs)
        label = (d.label + "\\n" + where).replace('"', '\\"')
        shape = ", shape=cylinder" if d.is_global else ""
        lines.append(f'  n{d.index} [label="{label}", fillcolor={colour}{shape}];')
    for k, name in enumerate(problem.names):
        lines.append(f'  dev{k} [label="{name}", shape=ellipse, '
                     f'fillcolor={_COLOURS[k % len(_COLOURS)]}];')
    for f in problem.flows:
        src_kind, src = f.source
        src_node = f"n{src}" if src_kind == "dec" else f"dev{src}"
        src_devs = place[src] if src_kind == "dec" else (src,)
        for kind, c in f.consumers:
            node = f"n{c}" if kind == "dec" else f"dev{c}"
            devs = place[c] if kind == "dec" else (c,)
            cross = any(x not in src_devs for x in devs)
            attrs = f' [label="{f.bytes} B", color=red]' if cross else ""
            lines.append(f"  {src_node} -> {node}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"
