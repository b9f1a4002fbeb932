"""A minimal replicate-global-per-device (the place developer's `placement/transform/
replicate.py` had not landed when this was written): one copy `@g_<device>` of an immutable
global per device, pinned there, and each use of a load of `@g` by an op pinned to that device
reads a new load of the copy instead."""

from __future__ import annotations

from placement.affinity import explicit_affinity
from placement.ir.core import Operation
from placement.ir.explorer import symbol_name
from placement.ir.rewrite import Rewriter


def replicate_global(rw: Rewriter, glob: Operation, devices: list[str]) -> list[str]:
    """Copies of `glob` on `devices` (symbols `@device`); returns the new global symbols."""
    module = rw.module
    name = symbol_name(glob) or ""
    own = explicit_affinity(module, glob)
    copies: dict[str, str] = {}
    anchor = glob
    for device in devices:
        affinity = f"#hal.device.affinity<{device}>"
        if own == affinity:
            continue
        new = f"{name}_{device.lstrip('@')}"
        props = dict(glob.syntax_attrs)
        props["sym_name"] = f'"{new[1:]}"'
        attrs = dict(glob.attributes)
        attrs["stream.affinity"] = affinity
        op = rw.create(glob.name, attributes=attrs, properties=props, symbols=[new])
        rw.insert_after(anchor, op)
        anchor = op
        copies[affinity] = new
    loads = [op for top in module.top_level_ops() for op in top.walk()
             if op is not glob and op.parent_op is not None and op.symbols == [name]
             and op.results]
    for load in loads:
        result = load.results[0]
        for use in list(result.uses):
            target = copies.get(explicit_affinity(module, use.owner) or "")
            if target is None:
                continue
            props = dict(load.syntax_attrs)
            props["global"] = target
            fresh = rw.create(load.name, [], [result.type], attributes=dict(load.attributes),
                              properties=props, symbols=[target],
                              result_names=[target[1:]])
            rw.insert_before(use.owner, fresh)
            rw.set_operand(use.owner, use.index, fresh.results[0])
    return list(copies.values())
