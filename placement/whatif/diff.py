"""The what-if report (`placement.whatif/1`, docs/whatif.md): the base against the edited module.

Per op and global the old and new potential sets and status moves; for every changed or failed
item the shortest derivation of why (`placement.explain`); transfers added and removed with
bytes per link; memory per device against the budgets; the cost of IREE's placement before and
after (and the placed cost with its lower bound when `place = true`); what IREE would do; and
warnings for IREE's known failure modes.
"""

from __future__ import annotations

from typing import Any

from placement.explain import Explainer, Explanation
from placement.whatif.analysis import AMBIGUOUS, FAILED, Analysis, Item
from placement.whatif.edits import Applied
from placement.whatif.schema import Scenario

SCHEMA = "placement.whatif/1"


def _state(item: Item | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"status": item.status, "devices": item.devices, "iree": item.iree}


def _why(ex: Explanation) -> list[str]:
    """The shortest derivation (or the failure's reasons) as lines."""
    if ex.derivations:
        best = min(ex.derivations, key=lambda d: (len(d.steps), d.device))
        lines = [f"{best.device}: {len(best.steps)} step(s)"]
        lines += [f"{s.reader} reads {s.source} [{s.rule}]"
                  + (f" at {s.location}" if s.location else "") for s in best.steps]
        lines.append(f"{best.origin}: {best.origin_reason}"
                     + (f" at {best.origin_location}" if best.origin_location else ""))
        return lines
    if ex.failure is not None:
        return [f"{ex.failure.kind}: {r}" for r in ex.failure.reasons] + [
            f"{s.reader} reads {s.source} [{s.rule}]" for s in ex.failure.steps]
    return []


def _explain(new: Analysis, items: list[Item]) -> dict[str, list[str]]:
    if not items:
        return {}
    explainer = Explainer(new.module)
    out: dict[str, list[str]] = {}
    for it in items:
        if it.kind == "global":
            ex = explainer.explain_global(it.subject)
        else:
            ex = explainer.explain_op(it.subject)[0]
        out[it.key] = _why(ex)
    return out


def _transfers(a: Analysis) -> dict[tuple[str, str, str], int]:
    return {(t.value, t.source, t.target): t.bytes for t in a.transfers}


def _memory(a: Analysis, budgets: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for name, n in sorted(a.memory().items()):
        budget = budgets.get(name.lstrip("@"))
        out.append({"device": name, "bytes": n, "budget": budget,
                    "over": max(0, n - budget) if budget is not None else 0})
    return out


def _links(a: Analysis) -> list[dict[str, Any]]:
    return [{"from": s, "to": t, "bytes": n} for (s, t), n in sorted(a.links().items())]


def _cost(a: Analysis) -> dict[str, int]:
    return {"cost": a.cost.cost, "transfer_bytes": a.cost.transfer, "over_budget_bytes":
            a.cost.over, "max_memory": max(a.cost.memory, default=0)}


def _warnings(new: Analysis, changed: list[Item], bound: bool) -> list[str]:
    out: list[str] = []
    for it in new.items.values():
        if it.status == FAILED:
            if new.default is not None:
                out.append(f"{it.label} ({it.key}): the analysis fails ([]); IREE 3.13 silently "
                           f"places it on the default {new.default}")
            else:
                out.append(f"{it.label} ({it.key}): the analysis fails ([]) and there is no "
                           "stream.affinity.default: IREE's later passes fail on it")
        elif it.status == AMBIGUOUS and it in changed:
            out.append(f"{it.label} ({it.key}): ambiguous {it.devices}; IREE takes the lead "
                       f"{it.iree} with no cost model")
    if bound:
        out.extend(_bound_warnings(new))
    return out


def _bound_warnings(new: Analysis) -> list[str]:
    """IREE 3.13's solver stops at its iteration bound on long tie/select chains."""
    from placement.iree313.bound import bound_warning
    from placement.iree313.solve import solve_iree313

    ops = list(new.module.root.walk())
    rows = [op.row for op in ops]
    try:
        estimate = solve_iree313(new.module, "fixpoint").solver_bound
    finally:  # the 3.13 profile swaps the op-table rows: the seed's are put back
        for op, row in zip(ops, rows, strict=True):
            op.row = row
    if estimate is not None and estimate.exceeds():
        return [bound_warning(new.module, estimate, 128)]
    return []


def compare(scenario: Scenario, applied: Applied, old: Analysis, new: Analysis,
            placed: dict[str, Any] | None, explain_limit: int,
            bound: bool = False) -> dict[str, Any]:
    """The report document of one scenario."""
    keys = list(old.items) + [k for k in new.items if k not in old.items]
    items: list[dict[str, Any]] = []
    changed: list[Item] = []
    for k in keys:
        a, b = old.items.get(k), new.items.get(k)
        sa, sb = _state(a), _state(b)
        if sa == sb:
            continue
        ref = b or a
        assert ref is not None
        move = f"{sa['status'] if sa else 'absent'} -> {sb['status'] if sb else 'absent'}"
        items.append({"key": k, "kind": ref.kind, "label": ref.label,
                      "line": ref.subject.loc.line, "column": ref.subject.loc.col,
                      "old": sa, "new": sb, "move": move})
        if b is not None:
            changed.append(b)
    failed = [it for it in new.items.values() if it.status == FAILED]
    explained = _explain(new, (changed + [f for f in failed if f not in changed])[:explain_limit])
    for entry in items:
        entry["why"] = explained.get(entry["key"], [])
    ta, tb = _transfers(old), _transfers(new)
    added = [{"value": v, "from": s, "to": t, "bytes": n}
             for (v, s, t), n in tb.items() if ta.get((v, s, t)) != n]
    removed = [{"value": v, "from": s, "to": t, "bytes": n}
               for (v, s, t), n in ta.items() if tb.get((v, s, t)) != n]
    statuses = [it.status for it in new.items.values()]
    doc: dict[str, Any] = {
        "schema": SCHEMA, "scenario": str(scenario.path), "name": scenario.name,
        "description": scenario.description, "base": str(scenario.base),
        "edits": applied.log,
        "devices": {"before": sorted(set(old.problem.names)),
                    "after": sorted(set(new.problem.names))},
        "summary": {"items": len(new.items), "changed": len(items),
                    "changed_ops": sum(1 for e in items if e["kind"] == "op"),
                    "ambiguous": statuses.count(AMBIGUOUS), "failed": statuses.count(FAILED)},
        "items": items,
        "transfers": {"added": added, "removed": removed},
        "links": {"before": _links(old), "after": _links(new)},
        "memory": {"before": _memory(old, applied.budgets), "after": _memory(new,
                                                                             applied.budgets)},
        "cost": {"before": _cost(old), "after": _cost(new)},
        "placed": placed,
        "iree": {"default_before": old.default, "default_after": new.default,
                 "leads": {e["key"]: (e["new"] or {}).get("iree") for e in items}},
        "replicas": applied.replicas,
        "warnings": _warnings(new, changed, bound),
    }
    doc["status"] = _status(doc)
    return doc


def _status(doc: dict[str, Any]) -> str:
    """OK, or what is wrong first: FAILED items, OVER BUDGET, AMBIGUOUS items."""
    if doc["summary"]["failed"]:
        return "FAILED"
    if any(m["over"] for m in doc["memory"]["after"]):
        return "OVER BUDGET"
    if doc["summary"]["ambiguous"]:
        return "AMBIGUOUS"
    return "OK"
