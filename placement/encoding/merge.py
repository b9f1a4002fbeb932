"""Keep one copy: after unification, the copies of one source that now have the same
encoding, shape and placement are merged into one global, as IR changes (the Rewriter).

For each such set the first version's global stays; every load of another copy's global (and
of its `*_size` global) is redirected to the kept one, and the other copy's store, clone chain,
encode, sizeof and globals are erased once nothing uses them.
"""

from __future__ import annotations

from placement import ops as optable
from placement.encoding.analysis import Version, analyze
from placement.ir import load
from placement.ir.core import Operation
from placement.ir.printer import print_ir
from placement.ir.rewrite import Rewriter


def _stores(value_owner: Operation) -> list[Operation]:
    return [u.owner for r in value_owner.results for u in r.uses
            if optable.info(u.owner).role == optable.Role.GLOBAL_STORE and u.owner.symbols]


def _size_global(v: Version) -> str | None:
    names = [s.symbols[0][1:] for s in _stores(v.sizeof)]
    own = [n for n in names if n.startswith(v.global_name)]
    found = own or names
    return found[0] if found else None


def _encoded_chain(v: Version) -> list[Operation]:
    """The encode and the clones that carry its result to the store, store last."""
    chain = [v.encode]
    value = v.encode.results[0]
    while len(value.uses) == 1:
        owner = value.uses[0].owner
        chain.append(owner)
        if optable.info(owner).role == optable.Role.GLOBAL_STORE or not owner.results:
            break
        value = owner.results[0]
    return chain


def merge_copies(text: str, filename: str = "<unified>") -> tuple[str, list[tuple[str, str]]]:
    """The module with equal copies merged, and the (dropped global, kept global) pairs."""
    module = load(text, filename)
    analysis = analyze(module)
    rw = Rewriter(module)
    merged: list[tuple[str, str]] = []
    loads: dict[str, list[Operation]] = {}
    for op in module.root.walk():
        if optable.info(op).role == optable.Role.GLOBAL_LOAD and op.symbols:
            loads.setdefault(op.symbols[0][1:], []).append(op)
    for source in analysis.sources:
        keep: dict[tuple[str, str, str], Version] = {}
        for v in source.versions:
            key = (str(v.encoding), v.shape_key, v.placement)
            first = keep.setdefault(key, v)
            if first is v or first.global_name == v.global_name:
                continue
            _merge(rw, loads, v, first)
            merged.append((v.global_name, first.global_name))
    return (print_ir(module) if merged else text), merged


def _redirect(rw: Rewriter, loads: dict[str, list[Operation]], old: str, new: str) -> None:
    for op in loads.pop(old, []):
        rw.set_property(op, "global", "@" + new)
        op.symbols = ["@" + new if s == "@" + old else s for s in op.symbols]
        loads.setdefault(new, []).append(op)


def _merge(rw: Rewriter, loads: dict[str, list[Operation]], v: Version, keep: Version) -> None:
    size_old, size_new = _size_global(v), _size_global(keep)
    _redirect(rw, loads, v.global_name, keep.global_name)
    if size_old and size_new and size_old != size_new:
        _redirect(rw, loads, size_old, size_new)
    chain = _encoded_chain(v)
    for op in reversed(chain):
        if all(not r.uses for r in op.results):
            rw.erase(op)
    source_clone = v.encode.operands[0].owner if v.encode.operands and hasattr(
        v.encode.operands[0], "owner") else None
    if size_old and size_old != size_new:
        for store in [s for s in _stores(v.sizeof) if s.symbols[0][1:] == size_old]:
            rw.erase(store)
    if all(not r.uses for r in v.sizeof.results) and v.sizeof.parent is not None:
        rw.erase(v.sizeof)
    if isinstance(source_clone, Operation) and source_clone.parent is not None and \
            optable.info(source_clone).encoding == optable.EncodingRole.CLONE and \
            all(not r.uses for r in source_clone.results):
        rw.erase(source_clone)
    for name in (v.global_name, size_old if size_old != size_new else None):
        if name is None or loads.get(name):
            continue
        decl = next((op for op in rw.module.top_level_ops()
                     if optable.info(op).role == optable.Role.GLOBAL and op.symbols
                     and op.symbols[0] == "@" + name), None)
        if decl is not None and not _used(rw, name):
            rw.erase(decl)


def _used(rw: Rewriter, name: str) -> bool:
    return any(op.symbols and "@" + name in op.symbols and
               optable.info(op).role != optable.Role.GLOBAL
               for op in rw.module.root.walk())
