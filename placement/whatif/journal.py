"""Edits on a shared base IR that are undone after the scenario.

A batch parses its base module once. A scenario whose edits only set or remove attributes
(pins, unpins, transfer targets, defaults, budgets) edits that shared IR through a `Journal`,
a `Rewriter` that saves each op's attributes before it first changes them; `undo()` restores
them, so the next scenario sees the base again. Structural edits (new or erased ops, operand
changes) are refused here: such scenarios parse their own copy of the base.
"""

from __future__ import annotations

from typing import Any

from placement.ir.core import Block, Operation, Value
from placement.ir.rewrite import Rewriter

# Scenario edit kinds that change the IR's structure (ops added, erased, operands moved).
STRUCTURAL_EDITS = frozenset({"add_device", "remove_device", "replicate_global"})


class StructuralEdit(RuntimeError):
    """A structural change was attempted through a Journal (a bug in the caller)."""


class Journal(Rewriter):
    """A Rewriter limited to attribute changes, which it can undo."""

    def __init__(self, module: Any) -> None:
        super().__init__(module)
        self._saved: dict[int, tuple[Operation, dict[str, str], dict[str, str], bool, bool]] = {}

    def _save(self, op: Operation) -> None:
        if id(op) not in self._saved:
            self._saved[id(op)] = (op, dict(op.attributes), dict(op.syntax_attrs), op.modified,
                                   op.attributes_modified)

    def set_attribute(self, op: Operation, name: str, text: str | None) -> None:
        """As `Rewriter.set_attribute`, remembering the op's previous state."""
        self._save(op)
        super().set_attribute(op, name, text)

    def set_property(self, op: Operation, name: str, text: str | None) -> None:
        """As `Rewriter.set_property`, remembering the op's previous state."""
        self._save(op)
        super().set_property(op, name, text)

    def _refuse(self, *_: object, **__: object) -> Any:
        raise StructuralEdit("a structural edit on the shared base IR")

    def insert_before(self, anchor: Operation, op: Operation) -> Operation:
        """Refused: structural."""
        return self._refuse()

    def insert_after(self, anchor: Operation, op: Operation) -> Operation:
        """Refused: structural."""
        return self._refuse()

    def append(self, block: Block, op: Operation) -> Operation:
        """Refused: structural."""
        return self._refuse()

    def erase(self, op: Operation) -> None:
        """Refused: structural."""
        self._refuse()

    def set_operand(self, op: Operation, index: int, value: Value) -> None:
        """Refused: structural."""
        self._refuse()

    def set_type(self, value: Value, type_text: str) -> None:
        """Refused: structural."""
        self._refuse()

    def touched(self) -> list[tuple[Operation, dict[str, str], dict[str, str]]]:
        """Each changed op with its attributes and properties before the first change."""
        return [(op, attrs, props) for op, attrs, props, _, _ in self._saved.values()]

    def undo(self) -> None:
        """Put every changed op back as it was."""
        for op, attrs, props, modified, attributes_modified in self._saved.values():
            op.attributes.clear()
            op.attributes.update(attrs)
            op.syntax_attrs.clear()
            op.syntax_attrs.update(props)
            op.modified = modified
            op.attributes_modified = attributes_modified
        self._saved.clear()
