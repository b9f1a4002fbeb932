"""What an engine computes: the final state of every element (spec sections 3-4).

Both engines (the baseline fixpoint and the Z3 model) produce a `Solution`; the annotator and
the cross-checker read only this, so they never depend on how an engine got there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from placement.ir.core import Operation, Value


class Kind(Enum):
    """The four element kinds: producer PVS, consumer PVS, global PVS, execution PVS."""

    P = "P"
    C = "C"
    G = "G"
    O = "O"  # noqa: E741

    # Members are singletons: hash by identity (C level). Enum's own __hash__ is a Python
    # function hashing the name, and kinds are in every element and solution key.
    __hash__ = object.__hash__


Subject = Value | Operation


@dataclass(frozen=True, slots=True)
class State:
    """A final element state: invalid (unknown, prints `[]`) or a set of affinity texts."""

    valid: bool
    devices: frozenset[str] = frozenset()

    def sorted(self) -> list[str]:
        """Members in affinity order (byte-wise order of the printed text)."""
        return sorted(self.devices, key=lambda s: s.encode())


INVALID = State(False)


@dataclass
class Solution:
    """Element states keyed by kind and subject identity; a missing key means no element."""

    engine: str
    states: dict[tuple[Kind, int], State] = field(default_factory=dict)
    subjects: dict[tuple[Kind, int], Subject] = field(default_factory=dict)
    # The semantics profile that computed it ("seed" or "iree-3.13"), and for iree-3.13 the
    # precomputed pinned values (value id -> pinning ops), which the 3.13 lookups consult.
    semantics: str = "seed"
    pinned: dict[int, list[Operation]] = field(default_factory=dict)
    # iree-3.13 fixpoint only: the estimate of IREE's solver iterations
    # (`placement.iree313.bound.BoundEstimate`), None otherwise.
    solver_bound: Any = None

    def set(self, kind: Kind, subject: Subject, state: State) -> None:
        """Record the final state of one element."""
        key = (kind, id(subject))
        self.states[key] = state
        self.subjects[key] = subject

    def get(self, kind: Kind, subject: Subject) -> State | None:
        """The state of an element, or None if the engine created no such element."""
        return self.states.get((kind, id(subject)))
