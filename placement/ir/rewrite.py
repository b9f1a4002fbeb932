"""Building and changing IR: the one API transforms use (they never write text).

A `Rewriter` creates ops, inserts and erases them, redirects uses and sets attributes. Every
change is recorded on the IR itself (`Operation.modified`, `Module.erased`), so that
`placement.ir.printer.print_ir(module)` prints the changed module: changed and new ops from the
IR, the rest as the user wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from placement.ir.core import Block, Location, Module, Operation, OpResult, Region, Use, Value


class RewriteError(ValueError):
    """A change the IR cannot take (erasing an op whose results are still used, ...)."""


class Rewriter:
    """Changes one module's IR; fresh SSA names are unique in the whole module."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self._names: set[str] | None = None

    # ------------------------------------------------------------------ names

    def fresh_name(self, hint: str = "v") -> str:
        """A `%name` no value of the module has (`%hint`, else `%hint_1`, `%hint_2`, ...)."""
        if self._names is None:
            self._names = _value_names(self.module)
        base = "%" + (hint.lstrip("%") or "v")
        name, n = base, 0
        while name in self._names:
            n += 1
            name = f"{base}_{n}"
        self._names.add(name)
        return name

    # ------------------------------------------------------------------ creation

    def create(self, name: str, operands: Sequence[Value] = (),
               result_types: Sequence[str] = (), *,
               attributes: dict[str, str] | None = None,
               properties: dict[str, str] | None = None,
               symbols: Sequence[str] = (),
               regions: int = 0,
               segments: Sequence[int] = (),
               result_names: Sequence[str] | None = None,
               loc: Location | None = None) -> Operation:
        """A new, not yet inserted op. `properties` are the inherent attributes
        (`Operation.syntax_attrs`: what the custom syntax spells, `<{...}>` in generic form);
        `segments` the operand group sizes where the op's format has several variadic groups;
        results get fresh names (from `result_names` as hints)."""
        op = Operation(name, loc or Location(self.module.filename, 0, 0, -1))
        op.attributes = dict(attributes or {})
        op.syntax_attrs = dict(properties or {})
        op.symbols = list(symbols)
        op.syntax.segments = list(segments)
        for value in operands:
            value.uses.append(Use(op, len(op.operands)))
            op.operands.append(value)
        hints = list(result_names or [])
        for i, rtype in enumerate(result_types):
            hint = hints[i] if i < len(hints) else "v"
            op.results.append(OpResult(op, i, rtype, self.fresh_name(hint), op.loc))
        for _ in range(regions):
            op.regions.append(Region(blocks=[Block()], parent=op))
            op.regions[-1].blocks[0].parent = op.regions[-1]
        op.modified = True
        return op

    # ------------------------------------------------------------------ placement in blocks

    def insert_before(self, anchor: Operation, op: Operation) -> Operation:
        """Insert `op` just before `anchor` (in its block)."""
        block = _block_of(anchor)
        return self._insert(block, block.ops.index(anchor), op)

    def insert_after(self, anchor: Operation, op: Operation) -> Operation:
        """Insert `op` just after `anchor` (in its block)."""
        block = _block_of(anchor)
        return self._insert(block, block.ops.index(anchor) + 1, op)

    def append(self, block: Block, op: Operation) -> Operation:
        """Append `op` at the end of `block` (before nothing: terminators are the caller's)."""
        return self._insert(block, len(block.ops), op)

    def _insert(self, block: Block, index: int, op: Operation) -> Operation:
        if op.parent is not None:
            raise RewriteError(f"{op.name} is already in a block")
        block.ops.insert(index, op)
        op.parent = block
        return op

    def erase(self, op: Operation) -> None:
        """Remove `op` (and what it holds); its results must have no uses left."""
        for result in op.results:
            if result.uses:
                raise RewriteError(f"cannot erase {op.name}: {result.name} still has "
                                   f"{len(result.uses)} use(s)")
        for inner in op.walk():
            for i, value in enumerate(inner.operands):
                value.uses = [u for u in value.uses if not (u.owner is inner and u.index == i)]
        block = _block_of(op)
        block.ops.remove(op)
        op.parent = None
        if op.syntax.end > 0:
            self.module.erased.append((op.syntax.start, op.syntax.end))

    # ------------------------------------------------------------------ uses and attributes

    def set_operand(self, op: Operation, index: int, value: Value) -> None:
        """Make operand `index` of `op` be `value`."""
        old = op.operands[index]
        old.uses = [u for u in old.uses if not (u.owner is op and u.index == index)]
        op.operands[index] = value
        value.uses.append(Use(op, index))
        op.modified = True

    def replace_all_uses(self, old: Value, new: Value,
                         only: Iterable[Operation] | None = None) -> int:
        """Redirect the uses of `old` to `new` (only those owned by `only`, if given);
        returns how many were redirected."""
        owners = None if only is None else {id(o) for o in only}
        moved = [u for u in old.uses if owners is None or id(u.owner) in owners]
        for use in moved:
            self.set_operand(use.owner, use.index, new)
        return len(moved)

    def set_attribute(self, op: Operation, name: str, text: str | None) -> None:
        """Set (text) or remove (None) a discardable attribute of `op`; only its attribute
        dictionary is re-printed (`Operation.attributes_modified`) unless more changes."""
        if text is None:
            if name not in op.attributes:
                return
            del op.attributes[name]
        else:
            if op.attributes.get(name) == text:
                return
            op.attributes[name] = text
        op.attributes_modified = True

    def set_attributes(self, op: Operation, updates: dict[str, str | None]) -> None:
        """`set_attribute` for each entry of `updates` (in order)."""
        attributes = op.attributes
        changed = False
        for name, text in updates.items():
            if text is None:
                if name in attributes:
                    del attributes[name]
                    changed = True
            elif attributes.get(name) != text:
                attributes[name] = text
                changed = True
        if changed:
            op.attributes_modified = True

    def set_property(self, op: Operation, name: str, text: str | None) -> None:
        """Set (text) or remove (None) an inherent attribute of `op` (what its syntax spells)."""
        if text is None:
            op.syntax_attrs.pop(name, None)
        else:
            op.syntax_attrs[name] = text
        op.modified = True

    def set_type(self, value: Value, type_text: str) -> None:
        """Change the type of `value`; its defining op and every user are reprinted."""
        value.type = type_text
        if isinstance(value, OpResult):
            value.owner.modified = True
        for use in value.uses:
            use.owner.modified = True


def _block_of(op: Operation) -> Block:
    if op.parent is None:
        raise RewriteError(f"{op.name} is not in a block")
    return op.parent


def _value_names(module: Module) -> set[str]:
    names: set[str] = set()
    for op in module.root.walk():
        names.update(r.name.partition("#")[0] for r in op.results)
        for region in op.regions:
            for block in region.blocks:
                names.update(a.name for a in block.arguments)
    return names
