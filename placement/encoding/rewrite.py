"""The rewrite of spec section 8, as IR changes (`placement.ir.rewrite.Rewriter`).

Given a final encoding per version, it retypes each version's encode result and sizeof,
retargets the dispatch operands its encoded global reaches (last write wins, in discovery
order, as IREE does), and re-encodes tied dispatch results back to their old encoding. A sizeof
shared by versions that end with different encodings is split: the first keeps it, the others
get a fresh sizeof right before their encode (and their clone chain uses it). Nothing else in
the module changes; `placement.ir.printer.print_ir` prints the result (changed ops on one line,
comments removed, as iree-opt prints).
"""

from __future__ import annotations

from placement import ops as optable
from placement.encoding.analysis import Analysis, Version
from placement.encoding.policy import Candidate
from placement.ir.attributes import ShapedType
from placement.ir.core import Operation, Value
from placement.ir.format_custom import split_top_level
from placement.ir.printer import IRPrinter, print_ir
from placement.ir.rewrite import Rewriter

# The properties (ODS names) that hold the encoded tensor types of the stream tensor ops.
_ENCODE_SOURCE = "source_encoding"
_ENCODE_RESULT = "result_encoding"
_SIZEOF_TYPE = "encoding"
_DISPATCH_OPERANDS = "operand_encodings"
_DISPATCH_RESULTS = "result_encodings"
_AFFINITY = "affinity"


def retyped(type_text: str, encoding_text: str | None) -> str:
    """`tensor<shape, #old>` with its encoding replaced (None removes it)."""
    inner = type_text.strip()[len("tensor<"):-1]
    parts = split_top_level(inner)
    shape = parts[0] if parts else inner
    return f"tensor<{shape}, {encoding_text}>" if encoding_text else f"tensor<{shape}>"


def _list_entries(op: Operation, name: str) -> list[str]:
    return split_top_level(op.syntax_attrs.get(name, "[]").strip()[1:-1])


def _set_list_entry(rw: Rewriter, op: Operation, name: str, index: int, text: str) -> None:
    """Replace entry `index` of the type-list property `name` (`[T, T, ...]`)."""
    entries = _list_entries(op, name)
    entries[index] = text
    rw.set_property(op, name, "[" + ", ".join(entries) + "]")


def _replace_operand(rw: Rewriter, op: Operation, old: Value, new: Value) -> None:
    for i, value in enumerate(op.operands):
        if value is old:
            rw.set_operand(op, i, new)


def rewrite_module(analysis: Analysis, assignment: dict[Version, Candidate],
                   skip_noop_reencode: bool = False) -> Rewriter:
    """Give every assigned version its encoding (spec 8.1-8.4) by changing the analysis's
    module in place (analyze again before a second rewrite); returns the Rewriter used.

    IREE re-encodes a tied dispatch result even when its encoding does not change;
    `skip_noop_reencode` leaves such results alone (the optimal policy's rewrite).
    """
    rw = Rewriter(analysis.module)
    ordered = [v for s in analysis.sources for v in s.versions if v in assignment]

    # 8.1: encode results.
    for v in ordered:
        rw.set_property(v.encode, _ENCODE_RESULT,
                        retyped(v.encode.syntax_attrs[_ENCODE_RESULT], assignment[v].text))

    # 8.1: sizeofs, split when shared by versions that end differently.
    by_sizeof: dict[int, list[Version]] = {}
    for v in ordered:
        by_sizeof.setdefault(id(v.sizeof), []).append(v)
    for users in by_sizeof.values():
        first = users[0]
        original = first.sizeof.syntax_attrs[_SIZEOF_TYPE]
        rw.set_property(first.sizeof, _SIZEOF_TYPE, retyped(original, assignment[first].text))
        for v in users[1:]:
            if assignment[v].text != assignment[first].text:
                _split_sizeof(rw, v, retyped(original, assignment[v].text))

    # 8.2-8.3: dispatch operands; last write wins.
    updates: dict[int, tuple[Operation, dict[int, Candidate]]] = {}
    for v in ordered:
        for site in v.sites:
            op = site.dispatch
            updates.setdefault(id(op), (op, {}))[1][site.index] = assignment[v]
            entries = _list_entries(op, _DISPATCH_OPERANDS)
            if site.entry.is_tensor:
                _set_list_entry(rw, op, _DISPATCH_OPERANDS, site.index,
                                retyped(entries[site.index], assignment[v].text))

    # 8.4: tied results.
    for op, per_index in updates.values():
        _tied_results(rw, analysis, op, per_index, skip_noop_reencode)
    return rw


def _split_sizeof(rw: Rewriter, v: Version, type_text: str) -> None:
    """A fresh sizeof of `type_text` just before the version's encode; the encode's result
    size and the clones that carry it to the global use it."""
    old = v.sizeof.results[0]
    props = dict(v.sizeof.syntax_attrs)
    props[_SIZEOF_TYPE] = type_text
    new = rw.create(v.sizeof.name, v.sizeof.operands, [old.type], properties=props,
                    segments=[len(v.sizeof.operands)],
                    result_names=[old.name.lstrip("%") + "_split"])
    rw.insert_before(v.encode, new)
    op = v.encode
    _replace_operand(rw, op, old, new.results[0])
    value = op.results[0]
    while len(value.uses) == 1 and \
            optable.info(value.uses[0].owner).encoding == optable.EncodingRole.CLONE:
        op = value.uses[0].owner
        _replace_operand(rw, op, old, new.results[0])
        value = op.results[0]


def _groups(op: Operation) -> list[list[Value]]:
    """The dispatch's operand groups in ODS order (workload, mixed operands, operand sizes,
    operand encoding dims, result sizes, result encoding dims)."""
    out: list[list[Value]] = []
    pos = 0
    for n in op.syntax.segments:
        out.append(op.operands[pos:pos + n])
        pos += n
    return out


def _per_result(values: list[Value], counts: list[int]) -> list[list[Value]]:
    out: list[list[Value]] = []
    pos = 0
    for n in counts:
        out.append(values[pos:pos + n])
        pos += n
    return out


def _tied_results(rw: Rewriter, analysis: Analysis, op: Operation,
                  per_index: dict[int, Candidate], skip_noop: bool) -> None:
    """Retype tied tensor results to their operand's new encoding and re-encode each back
    to its old encoding right after the dispatch (spec 8.4); later uses read the re-encode."""
    groups = _groups(op)
    if len(groups) < 6:
        return
    nw = len(groups[0])
    encodings = _list_entries(op, _DISPATCH_RESULTS)
    dims = _per_result(groups[5], [IRPrinter.n_dims(e) for e in encodings])
    sizes = _per_result(groups[4], [IRPrinter.n_dims(r.type) for r in op.results])
    template = next((v for s in analysis.sources for v in s.versions), None)
    anchor = op
    for r, tied in sorted(op.tied.items()):
        if r >= len(op.results) or r >= len(encodings) or \
                not encodings[r].startswith("tensor<"):
            continue
        choice = per_index.get(tied - nw)
        if choice is None or template is None:
            continue
        old = analysis.attrs.try_parse(encodings[r])
        if skip_noop and isinstance(old, ShapedType) and old.encoding == choice.value:
            continue
        result = op.results[r]
        new_type = retyped(encodings[r], choice.text)
        _set_list_entry(rw, op, _DISPATCH_RESULTS, r, new_type)
        users = [u.owner for u in result.uses]
        base = result.name.lstrip("%").replace("#", "_")
        affinity = {_AFFINITY: op.syntax_attrs[_AFFINITY]} if _AFFINITY in op.syntax_attrs \
            else {}
        size = rw.create(template.sizeof.name, dims[r], ["index"],
                         properties={**affinity, _SIZEOF_TYPE: encodings[r]},
                         segments=[len(dims[r])], result_names=[base + "_size"])
        reencode = rw.create(
            template.encode.name, [result, *dims[r], *sizes[r], *dims[r], size.results[0]],
            [result.type or "!stream.resource<*>"],
            properties={**affinity, _ENCODE_SOURCE: new_type, _ENCODE_RESULT: encodings[r]},
            segments=[1, len(dims[r]), len(sizes[r]), len(dims[r]), 1],
            result_names=[base + "_reencoded"])
        rw.insert_after(anchor, size)
        rw.insert_after(size, reencode)
        anchor = reencode
        rw.replace_all_uses(result, reencode.results[0], only=users)


def rewrite(analysis: Analysis, assignment: dict[Version, Candidate],
            skip_noop_reencode: bool = False) -> str:
    """The module text after the rewrite (`rewrite_module`, then `print_ir`)."""
    rewrite_module(analysis, assignment, skip_noop_reencode)
    return print_ir(analysis.module)
