"""The `table` and `json` reports of `placement unify`: per source, its key, versions, consumers,
every candidate with its cost terms, the choice, IREE's choice, the bytes saved and the hazards
of IREE's choice (an encoding of the wrong rank, a shared sizeof overwritten per source)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from placement.encoding.analysis import Analysis, Version
from placement.encoding.policy import Candidate, iree_choice
from placement.encoding.sizes import fits
from placement.model.encoding_cpsat import Group


@dataclass
class UnifyResult:
    """One module's analysis, priced groups and final assignment."""

    analysis: Analysis
    groups: list[Group]
    assignment: dict[Version, Candidate]
    policy: str
    status: str


def hazards(analysis: Analysis) -> dict[str, list[str]]:
    """Hazards of IREE's choice, per source key."""
    out: dict[str, list[str]] = {}
    iree: dict[Version, Candidate] = {}
    for source in analysis.candidates:
        choice = iree_choice(source)
        for v in source.versions:
            iree[v] = choice
            ok, why = fits(v.type, choice.value)
            if not ok:
                out.setdefault(source.key, []).append(
                    f"rank mismatch: IREE gives {choice.text} to {v.global_name} "
                    f"(tensor<{v.shape_key}>): {why}")
    for users in analysis.shared_sizeofs().values():
        name = users[0].sizeof.results[0].name if users[0].sizeof.results else "?"
        finals = {iree[v].text if v in iree else v.encoding_text for v in users}
        keys = sorted({s.key for s in analysis.sources for v in s.versions if v in users})
        what = "different encodings: IREE overwrites it once per source, so one encode gets " \
               "the size of another encoding" if len(finals) > 1 else "the same encoding"
        for key in keys:
            out.setdefault(key, []).append(
                f"shared sizeof {name} (line {users[0].sizeof.loc.line}) sizes "
                f"{', '.join(v.global_name for v in users)}, which end with {what}")
    return out


def to_json(result: UnifyResult) -> dict[str, Any]:
    """The report as plain data (sorted, deterministic)."""
    a = result.analysis
    haz = hazards(a)
    groups_by_source: dict[str, list[Group]] = {}
    for g in result.groups:
        groups_by_source.setdefault(g.source.key, []).append(g)
    sources = []
    for s in a.sources:
        versions = [{
            "global": "@" + v.global_name,
            "type": f"tensor<{v.shape_key}>",
            "encoding": v.encoding_text,
            "affinity": v.affinity or None,
            "devices": ["@" + d for d in v.devices],
            "consumers": [{"site": site.label, "in_initializer": site.in_initializer,
                           "tied_result": site.tied_result} for site in v.sites],
            "final_encoding": result.assignment[v].text if v in result.assignment
            else v.encoding_text,
        } for v in s.versions]
        groups = []
        for g in groups_by_source.get(s.key, []):
            choice = g.choice if g.choice is not None else g.iree
            groups.append({
                "type": f"tensor<{g.shape}>",
                "candidates": [{
                    "encoding": c.candidate.text, "origin": c.candidate.origin, "rank": c.rank,
                    "feasible": c.feasible, "why_not": c.reason or None,
                    "storage": c.storage, "init": c.init, "relayout": c.relayout,
                    "total": c.total} for c in g.costs],
                "choice": choice.candidate.text,
                "iree_choice": g.iree.candidate.text,
                "iree_choice_safe": g.iree.feasible,
                "cost": choice.total,
                "iree_cost": g.iree.total,
                "bytes_saved": g.iree.total - choice.total,
                "kept_apart": choice.reason if choice.kept_apart else None,
            })
        shapes = [f"tensor<{shape}>" for shape in s.shape_groups()]
        sources.append({
            "key": s.key,
            "shapes": shapes,
            "shapes_differ": len(shapes) > 1,
            "unified": s.is_candidate and a.has_devices,
            "resolvers": [r.label for r in s.resolvers],
            "versions": versions,
            "groups": groups,
            "hazards_in_iree_choice": haz.get(s.key, []),
        })
    all_groups = [g for s in groups_by_source.values() for g in s]
    cost = sum((g.choice or g.iree).total for g in all_groups)
    iree_cost = sum(g.iree.total for g in all_groups)
    return {
        "file": a.module.filename,
        "policy": result.policy,
        "solver_status": result.status,
        "devices_declared": a.has_devices,
        "sources": sources,
        "skipped_encodes": [{"line": k.encode.loc.line, "reason": k.reason} for k in a.skipped],
        "cost": cost,
        "iree_cost": iree_cost,
        "bytes_saved": iree_cost - cost,
    }


def to_json_text(results: list[UnifyResult]) -> str:
    data: Any = [to_json(r) for r in results]
    if len(data) == 1:
        data = data[0]
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    def line(r: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if i < len(r) - 1 else str(c)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
    return [line(header), line(["-" * w for w in widths]), *[line(r) for r in rows]]


def to_table(result: UnifyResult) -> str:
    """A human-readable report."""
    data = to_json(result)
    out = [f"placement unify {data['file']} (policy {data['policy']}, "
           f"solver {data['solver_status']})"]
    if not data["devices_declared"]:
        out.append("  no !hal.device global: nothing is unified (as IREE 3.13)")
    for s in data["sources"]:
        state = "unified" if s["unified"] else "not a candidate (one distinct encoding)"
        out.append("")
        out.append(f"source {s['key']}: {len(s['versions'])} version(s), {state}")
        if s["resolvers"]:
            out.append("  resolvers: " + "; ".join(r[:90] for r in s["resolvers"]))
        if s["shapes_differ"]:
            out.append("  versions differ in shape: " + ", ".join(s["shapes"])
                       + " (one unified encoding per shape)")
        rows = []
        for v in s["versions"]:
            cons = ", ".join(c["site"] for c in v["consumers"]) or "-"
            rows.append([v["global"], v["type"], v["encoding"], ",".join(v["devices"]) or "-",
                         v["final_encoding"], cons])
        out.extend("  " + r for r in _table(rows, ["version", "type", "encoding", "device",
                                                   "final", "consumers"]))
        for g in s["groups"]:
            out.append(f"  group {g['type']}: choice {g['choice']}, IREE {g['iree_choice']}"
                       f"{'' if g['iree_choice_safe'] else ' (UNSAFE)'}, bytes saved "
                       f"{g['bytes_saved']:,}")
            if g["kept_apart"]:
                out.append(f"  copies kept apart: {g['kept_apart']}")
            rows = []
            for c in g["candidates"]:
                mark = "*" if c["encoding"] == g["choice"] else ""
                rows.append([mark, str(c["rank"]), c["encoding"], c["origin"],
                             "yes" if c["feasible"] else "no", f"{c['storage']:,}",
                             f"{c['init']:,}", f"{c['relayout']:,}", f"{c['total']:,}",
                             c["why_not"] or ""])
            out.extend("    " + r for r in _table(
                rows, ["", "rank", "candidate", "origin", "ok", "storage", "init", "relayout",
                       "total", "why not"]))
        for h in s["hazards_in_iree_choice"]:
            out.append(f"  hazard in IREE's choice: {h}")
    for k in data["skipped_encodes"]:
        out.append(f"skipped encode at line {k['line']}: {k['reason']}")
    out.append("")
    out.append(f"total cost {data['cost']:,} (IREE's choice {data['iree_cost']:,}); "
               f"saved {data['bytes_saved']:,}")
    return "\n".join(out) + "\n"
