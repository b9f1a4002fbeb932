"""Checks the parser cannot make alone: every symbol a call or global access names exists."""

from __future__ import annotations

from placement import ops as optable
from placement.diagnostics import PlacementError
from placement.ir.core import Module, Operation
from placement.ir.explorer import symbol_name
from placement.ops import Role

_EXPECTED = {
    Role.CALL: (Role.FUNCTION, "function"),
    Role.GLOBAL_LOAD: (Role.GLOBAL, "global"),
    Role.GLOBAL_STORE: (Role.GLOBAL, "global"),
    Role.GLOBAL_ADDRESS: (Role.GLOBAL, "global"),
}


def verify(module: Module) -> None:
    """Raise a located PlacementError for the first reference to an undefined symbol."""
    table: dict[str, Operation] = {}
    for op in module.top_level_ops():
        name = symbol_name(op)
        if name is not None:
            table.setdefault(name, op)
    stack = list(reversed(module.top_level_ops()))
    while stack:
        op = stack.pop()
        role = optable.info(op).role
        if role in (Role.OBJECT, Role.MODULE):
            continue  # nested symbol tables resolve their own references
        expected = _EXPECTED.get(role)
        if expected is not None and op.symbols:
            ref = op.symbols[0]
            target = table.get(ref)
            if target is None or optable.info(target).role != expected[0]:
                what = "undefined symbol" if target is None else f"symbol that is not a " \
                    f"{expected[1]}"
                offset = module.source.find(ref, op.syntax.start, op.syntax.end)
                raise PlacementError(f"'{op.name}' op references {what} '{ref}'",
                                     module.filename, module.source,
                                     offset if offset >= 0 else op.syntax.start)
        for region in reversed(op.regions):
            for block in reversed(region.blocks):
                stack.extend(reversed(block.ops))
