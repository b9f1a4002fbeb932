"""The rewrite of spec section 8, as edits over the source text.

Given a final encoding per version, it retypes each version's encode result and sizeof,
retargets the dispatch operands its encoded global reaches (last write wins, in discovery
order, as IREE does), and re-encodes tied dispatch results back to their old encoding. A sizeof
shared by versions that end with different encodings is split: the first keeps it, the others
get a fresh sizeof right before their encode (and their clone chain uses it). Nothing else in
the module changes.
"""

from __future__ import annotations

import re

from placement import ops as optable
from placement.encoding.analysis import Analysis, Version
from placement.encoding.policy import Candidate
from placement.encoding.syntax import OpText
from placement.ir.attributes import ShapedType
from placement.ir.core import Operation
from placement.ir.printer import Edit, apply_edits, render


class _Names:
    """Fresh SSA names that do not clash with any name of the module."""

    def __init__(self, text: OpText) -> None:
        self.used = text.all_value_names()

    def fresh(self, base: str) -> str:
        base = base.lstrip("%").replace("#", "_") or "v"
        name = f"%{base}"
        n = 0
        while name in self.used:
            n += 1
            name = f"%{base}_{n}"
        self.used.add(name)
        return name


def rewrite_edits(analysis: Analysis, assignment: dict[Version, Candidate],
                  skip_noop_reencode: bool = False) -> list[Edit]:
    """The edits that give every assigned version its encoding (spec 8.1-8.4).

    IREE re-encodes a tied dispatch result even when its encoding does not change;
    `skip_noop_reencode` leaves such results alone (the optimal policy's rewrite).
    """
    text = analysis.text
    names = _Names(text)
    edits: list[Edit] = []
    ordered = [v for s in analysis.sources for v in s.versions if v in assignment]

    # 8.1: encode results.
    for v in ordered:
        e = v.result_entry
        edits.append(Edit(e.start, e.end, e.retyped(assignment[v].text)))

    # 8.1: sizeofs, split when shared by versions that end differently.
    by_sizeof: dict[int, list[Version]] = {}
    for v in ordered:
        by_sizeof.setdefault(id(v.sizeof), []).append(v)
    for users in by_sizeof.values():
        first = users[0]
        s = first.sizeof_entry
        edits.append(Edit(s.start, s.end, s.retyped(assignment[first].text)))
        for v in users[1:]:
            if assignment[v].text == assignment[first].text:
                continue
            edits.extend(_split_sizeof(analysis, v, assignment[v], names))

    # 8.2-8.3: dispatch operands; last write wins.
    updates: dict[int, tuple[Operation, dict[int, Candidate]]] = {}
    entries: dict[tuple[int, int], Edit] = {}
    for v in ordered:
        for site in v.sites:
            op = site.dispatch
            updates.setdefault(id(op), (op, {}))[1][site.index] = assignment[v]
            if site.entry.is_tensor:
                entries[(id(op), site.index)] = Edit(
                    site.entry.start, site.entry.end, site.entry.retyped(assignment[v].text))
    edits.extend(entries[k] for k in sorted(entries, key=lambda k: entries[k].start))

    # 8.4: tied results.
    for op, per_index in updates.values():
        edits.extend(_tied_results(analysis, op, per_index, names, skip_noop_reencode))
    return _op_edits(analysis, edits)


def _split_sizeof(analysis: Analysis, v: Version, choice: Candidate, names: _Names) -> list[Edit]:
    text = analysis.text
    old = v.sizeof.results[0].name
    new = names.fresh(old.lstrip("%") + "_split")
    s = v.sizeof_entry
    aff = text.signature(v.sizeof).affinity_text
    indent = text.line_indent(v.encode)
    line = f"{new} = stream.tensor.sizeof {aff + ' ' if aff else ''}" \
           f"{s.retyped(choice.text)}{s.dims_text} : index\n{indent}"
    edits = [Edit(v.encode.syntax.start, v.encode.syntax.start, line)]
    # The encode's result size and the clones that carry it to the global.
    chain: list[Operation] = [v.encode]
    value = v.encode.results[0]
    while len(value.uses) == 1 and \
            optable.info(value.uses[0].owner).encoding == optable.EncodingRole.CLONE:
        chain.append(value.uses[0].owner)
        value = value.uses[0].owner.results[0]
    for op in chain:
        for start, end in text.value_spans(op, old):
            edits.append(Edit(start, end, new))
    return edits


def _tied_results(analysis: Analysis, op: Operation, per_index: dict[int, Candidate],
                  names: _Names, skip_noop: bool) -> list[Edit]:
    text = analysis.text
    sig = text.signature(op)
    nw = len(sig.workload)
    mixed = [op.operands[nw + i].name if nw + i < len(op.operands) else ""
             for i in range(len(sig.operands))]
    edits: list[Edit] = []
    insert: list[str] = []
    indent = text.line_indent(op)
    aff = f"{sig.affinity_text} " if sig.affinity_text else ""
    for r, entry in enumerate(sig.results):
        if not entry.tied or not entry.is_tensor or entry.tied not in mixed:
            continue
        j = mixed.index(entry.tied)
        choice = per_index.get(j)
        if choice is None or r >= len(op.results):
            continue
        old = analysis.attrs.try_parse(entry.text)
        if skip_noop and isinstance(old, ShapedType) and old.encoding == choice.value:
            continue
        result = op.results[r]
        edits.append(Edit(entry.start, entry.end, entry.retyped(choice.text)))
        base = result.name.lstrip("%").replace("#", "_")
        size = names.fresh(base + "_size")
        reenc = names.fresh(base + "_reencoded")
        res_type = result.type or "!stream.resource<*>"
        size_text = "{" + ", ".join(entry.size) + "}"
        insert.append(f"\n{indent}{size} = stream.tensor.sizeof {aff}{entry.text}"
                      f"{entry.dims_text} : index")
        insert.append(f"\n{indent}{reenc} = stream.tensor.encode {aff}{result.name} : "
                      f"{entry.retyped(choice.text)}{entry.dims_text} in {res_type}{size_text}"
                      f" -> {entry.text}{entry.dims_text} in {res_type}{{{size}}}")
        for use in result.uses:
            for start, end in text.value_spans(use.owner, result.name):
                edits.append(Edit(start, end, reenc))
    if insert:
        edits.append(Edit(op.syntax.end, op.syntax.end, "".join(insert)))
    return edits


def _op_edits(analysis: Analysis, edits: list[Edit]) -> list[Edit]:
    """Fold the edits inside each edited stream op into one edit that prints the op on one
    line (as iree-opt prints it), comments inside the op dropped."""
    module = analysis.module
    spans = sorted({(op.syntax.start, op.syntax.end)
                    for s in analysis.sources for v in s.versions
                    for op in (v.encode, v.sizeof, *[site.dispatch for site in v.sites])})
    inner: dict[tuple[int, int], list[Edit]] = {}
    rest: list[Edit] = []
    for e in edits:
        span = next(((a, b) for a, b in spans if a <= e.start and e.end <= b
                     and not (e.start == e.end and e.start in (a, b))), None)
        if span is None:
            rest.append(e)
        else:
            inner.setdefault(span, []).append(e)
    for (a, b), group in inner.items():
        comments = [Edit(s, t, "") for s, t in module.comments if a <= s < b]
        rest.append(Edit(a, b, _one_line(apply_edits(module.source, a, b, sorted(group),
                                                     comments))))
    return rest


def _one_line(text: str) -> str:
    """Join the lines of an op: no blank after '(' / '[' or before ')' / ']'."""
    def join(m: re.Match[str]) -> str:
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        return "" if before in "([" or after in ")]" else " "
    return _BREAK.sub(join, text)


_BREAK = re.compile(r"[ \t]*\n\s*")


def rewrite(analysis: Analysis, assignment: dict[Version, Candidate],
            skip_noop_reencode: bool = False) -> str:
    """The module text after the rewrite (comments removed, as iree-opt prints)."""
    return render(analysis.module, rewrite_edits(analysis, assignment, skip_noop_reencode))
