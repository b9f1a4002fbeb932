"""The what-if report as text (rich tables), the batch comparison matrix, and a Graphviz view."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

MATRIX_COLUMNS = ("scenario", "devices", "changed ops", "ambiguous", "failed",
                  "transfer bytes", "max memory", "cost", "status")


def _set(state: dict[str, Any] | None) -> str:
    if state is None:
        return "-"
    return f"{state['status']} [{', '.join(state['devices'])}]"


def print_report(doc: dict[str, Any], console: Console) -> None:
    """One scenario's report as tables."""
    console.print(Text(f"scenario {doc['name']}: {doc['status']}  ({doc['scenario']})"))
    if doc["description"]:
        console.print(Text(doc["description"]))
    console.print(Text(f"base {doc['base']}"))
    for e in doc["edits"]:
        console.print(Text(f"  edit: {e}"))
    s = doc["summary"]
    console.print(Text(f"devices {', '.join(doc['devices']['before'])} -> "
                       f"{', '.join(doc['devices']['after'])}; {s['changed']} changed item(s) "
                       f"({s['changed_ops']} op(s)), {s['ambiguous']} ambiguous, "
                       f"{s['failed']} failed"))
    items = Table(title="changed ops and globals", title_justify="left")
    for col in ("key", "item", "before", "after", "IREE", "why (shortest derivation)"):
        items.add_column(col)
    for it in doc["items"]:
        items.add_row(it["key"], Text(it["label"]), _set(it["old"]), _set(it["new"]),
                      str((it["new"] or {}).get("iree")), Text("\n".join(it["why"])))
    console.print(items)
    for title, rows in (("transfers added", doc["transfers"]["added"]),
                        ("transfers removed", doc["transfers"]["removed"])):
        if rows:
            t = Table(title=title, title_justify="left")
            for col in ("value", "from", "to", "bytes"):
                t.add_column(col)
            for r in rows:
                t.add_row(Text(r["value"]), r["from"], r["to"], str(r["bytes"]))
            console.print(t)
    links = Table(title="bytes per link (IREE's placement)", title_justify="left")
    for col in ("from", "to", "before", "after"):
        links.add_column(col)
    before = {(r["from"], r["to"]): r["bytes"] for r in doc["links"]["before"]}
    after = {(r["from"], r["to"]): r["bytes"] for r in doc["links"]["after"]}
    for key in sorted(set(before) | set(after)):
        links.add_row(key[0], key[1], str(before.get(key, 0)), str(after.get(key, 0)))
    console.print(links)
    mem = Table(title="memory per device", title_justify="left")
    for col in ("device", "before", "after", "budget", "over"):
        mem.add_column(col)
    old = {r["device"]: r["bytes"] for r in doc["memory"]["before"]}
    for r in doc["memory"]["after"]:
        mem.add_row(r["device"], str(old.get(r["device"], "-")), str(r["bytes"]),
                    "-" if r["budget"] is None else str(r["budget"]), str(r["over"]))
    console.print(mem)
    cb, ca = doc["cost"]["before"], doc["cost"]["after"]
    console.print(Text(f"cost (IREE's rule): {cb['cost']} -> {ca['cost']} bytes "
                       f"(over budget {cb['over_budget_bytes']} -> {ca['over_budget_bytes']})"))
    placed = doc["placed"]
    if placed:
        console.print(Text(f"placed: {placed['status']} objective {placed['objective']} lower "
                           f"bound {placed['lower_bound']}, {placed['pins']} pin(s)"))
    iree = doc["iree"]
    console.print(Text(f"IREE: default {iree['default_before']} -> {iree['default_after']}"))
    for w in doc["warnings"]:
        console.print(Text(f"warning: {w}", style="yellow"))


def matrix_row(doc: dict[str, Any]) -> list[str]:
    """One row of the comparison matrix."""
    ca = doc["cost"]["after"]
    placed = doc["placed"]
    cost = placed["cost"] if placed and placed.get("cost") is not None else ca["cost"]
    return [doc["name"], str(len(doc["devices"]["after"])), str(doc["summary"]["changed_ops"]),
            str(doc["summary"]["ambiguous"]), str(doc["summary"]["failed"]),
            str(ca["transfer_bytes"]), str(ca["max_memory"]), str(cost), doc["status"]]


def print_matrix(docs: list[dict[str, Any]], errors: list[str], console: Console) -> None:
    """The comparison matrix of a batch (failed scenarios as ERROR rows)."""
    t = Table(title="what-if scenarios", title_justify="left")
    for col in MATRIX_COLUMNS:
        t.add_column(col)
    for doc in docs:
        t.add_row(*matrix_row(doc))
    for name in errors:
        t.add_row(name, *["-"] * (len(MATRIX_COLUMNS) - 2), "ERROR")
    console.print(t)


def dot(doc: dict[str, Any]) -> str:
    """Graphviz: devices as nodes, the after-edit links labelled with bytes (red: added)."""
    before = {(r["from"], r["to"]) for r in doc["links"]["before"]}
    lines = [f'digraph "{doc["name"]}" {{', "  node [shape=box, style=filled, "
             "fillcolor=lightblue];"]
    for r in doc["memory"]["after"]:
        lines.append(f'  "{r["device"]}" [label="{r["device"]}\\n{r["bytes"]} B"];')
    for r in doc["links"]["after"]:
        colour = "" if (r["from"], r["to"]) in before else ", color=red"
        lines.append(f'  "{r["from"]}" -> "{r["to"]}" [label="{r["bytes"]} B"{colour}];')
    lines.append("}")
    return "\n".join(lines) + "\n"
