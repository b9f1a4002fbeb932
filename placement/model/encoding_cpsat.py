"""Cost-optimal and safe unified encodings, chosen with OR-Tools CP-SAT (spec section 12).

Unit of choice: a *group*, the versions of one source that share a tensor type (shape and
element type). A source whose versions all have one type is one group, exactly spec 12; a
source whose versions differ in shape (`tensor<N>` vs `tensor<1xN>`, real IR) gets one unified
encoding per shape, so no encoding ever lands on a tensor it does not fit.

Per group g and candidate k (spec 12.3 order; infeasible ones get no variable):
    S = |P_g| * B(T_g, k)                       storage, one copy per placement
    I = sum_v enc(k)                             enc(identity) = 0, else D(T) + B(T, k)
    L = sum_v sum_{c in C_v} w_c * reenc(e_v, k) reenc(a, b) = 0 if a == b else B(a) + B(b)
    cost = lam_S * S + lam_I * I + lam_R * L     w_c = w_init in initializers, w_run elsewhere
A tied dispatch result counts as one more site (its inserted re-encode runs). Constraints:
one candidate per group, optional per-device byte budgets, optional pins. The objective is
`cost * (R + 1) + rank`, which makes the optimum unique and the tie-break deterministic
(lowest rank: IREE's choice, then identity, then versions' encodings, then proposals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from placement.diagnostics import PlacementError
from placement.encoding.analysis import Analysis, Site, Source, Version
from placement.encoding.policy import Candidate, candidates, feasible, iree_choice, preference
from placement.encoding.sizes import SizeHint, byte_size, dense_bytes
from placement.ir.attributes import ShapedType, Value


@dataclass(frozen=True)
class Weights:
    """Integer cost coefficients (defaults of spec 12.5)."""

    runtime: int = 16
    init: int = 1
    storage: int = 1
    encode: int = 1
    relayout: int = 1
    dynamic_dim: int = 1

    @staticmethod
    def parse(text: str) -> Weights:
        """`runtime=16,init=1` (also storage=, encode=, relayout=, dynamic_dim=)."""
        values: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, val = part.partition("=")
            key = key.strip()
            if not sep or key not in Weights.__dataclass_fields__:
                raise PlacementError(f"bad weight '{part}': expected NAME=INT with NAME one of "
                                     + ", ".join(Weights.__dataclass_fields__), "--weights")
            try:
                values[key] = int(val)
            except ValueError:
                raise PlacementError(f"bad weight '{part}': not an integer",
                                     "--weights") from None
            if values[key] < 0:
                raise PlacementError(f"bad weight '{part}': negative", "--weights")
        return Weights(**values)


@dataclass
class Cost:
    """The cost terms of one candidate for one group."""

    candidate: Candidate
    rank: int
    feasible: bool
    reason: str
    storage: int
    init: int
    relayout: int
    total: int
    bytes_by_device: dict[str, int] = field(default_factory=dict)
    tie: int = 0  # position in the tie-break order (`policy.preference`), 0 first

    @property
    def kept_apart(self) -> bool:
        """The group's copies keep their own encodings (no unified encoding is safe)."""
        return self.candidate.origin == KEPT


@dataclass
class Group:
    """Versions of one source with one tensor type, and the priced candidates."""

    source: Source
    shape: str
    versions: list[Version]
    costs: list[Cost]
    iree: Cost  # IREE's choice for the whole source, priced on this group
    choice: Cost | None = None

    @property
    def key(self) -> str:
        return f"{self.source.key} [{self.shape}]"


KEPT = "kept apart"


def _plain(t: ShapedType) -> ShapedType:
    return t.with_encoding(None)


def _bytes(t: ShapedType, k: Value | None, w: Weights, hint: SizeHint | None) -> int:
    return byte_size(_plain(t), k, w.dynamic_dim, hint)


def site_weight(site: Site, w: Weights) -> int:
    """`w_c`: init weight inside initializers, runtime weight elsewhere; a tied operand adds a
    second site (the re-encode after the dispatch)."""
    weight = w.init if site.in_initializer else w.runtime
    return weight * (2 if site.tied_result else 1)


def price(group_versions: list[Version], k: Candidate, w: Weights,
          hint: SizeHint | None = None) -> tuple[int, int, int, dict[str, int]]:
    """(S, I, L, bytes per device) of candidate k on a group."""
    t = group_versions[0].type
    size = _bytes(t, k.value, w, hint)
    placements: list[str] = []
    for v in group_versions:
        if v.placement not in placements:
            placements.append(v.placement)
    per_device: dict[str, int] = {}
    for p in placements:
        devices = next(v.devices for v in group_versions if v.placement == p)
        for d in devices:
            per_device[d] = per_device.get(d, 0) + size
    storage = len(placements) * size
    init = 0 if k.is_identity else len(group_versions) * (dense_bytes(_plain(t), w.dynamic_dim)
                                                           + size)
    relayout = 0
    for v in group_versions:
        if v.encoding == k.value:
            continue
        reenc = _bytes(v.type, v.encoding, w, hint) + _bytes(v.type, k.value, w, hint)
        relayout += sum(site_weight(s, w) for s in v.sites) * reenc
    return storage, init, relayout, per_device


def build_groups(analysis: Analysis, w: Weights, hint: SizeHint | None = None) -> list[Group]:
    """Every shape group of every candidate source, with all candidates priced."""
    groups: list[Group] = []
    for source in analysis.candidates:
        seed = iree_choice(source)
        for shape, versions in source.shape_groups().items():
            costs = []
            for rank, k in enumerate(candidates(source, versions)):
                ok, why = feasible(k.value, versions, source)
                s, i, lr, per_dev = price(versions, k, w, hint)
                total = w.storage * s + w.encode * i + w.relayout * lr
                costs.append(Cost(k, rank, ok, why, s, i, lr, total, per_dev))
            order = sorted(costs, key=lambda c: preference(c.candidate, versions, seed.value))
            for n, c in enumerate(order):
                c.tie = n
            iree = next(c for c in costs if c.candidate.value == seed.value)
            groups.append(Group(source, shape, versions, costs, iree))
    return groups


def kept_apart(g: Group, w: Weights, hint: SizeHint | None = None) -> Cost:
    """The choice of a group no unified encoding is safe for: every copy keeps its encoding
    (one stored copy per version, no relayout); the reason lists why each candidate fails."""
    reasons = sorted({c.reason for c in g.costs if c.reason})
    storage = sum(_bytes(v.type, v.encoding, w, hint) for v in g.versions)
    init = sum(dense_bytes(_plain(v.type), w.dynamic_dim) + _bytes(v.type, v.encoding, w, hint)
               for v in g.versions)
    total = w.storage * storage + w.encode * init
    first = g.versions[0]
    why = "no unified encoding is safe: " + "; ".join(reasons)
    return Cost(Candidate(first.encoding, KEPT, KEPT), -1, True, why, storage, init, 0, total)


@dataclass
class Solution:
    """The solved model."""

    groups: list[Group]
    status: str
    objective: int
    unit_shift: int = 0  # costs entered the objective in units of 2**unit_shift bytes

    def assignment(self) -> dict[Version, Candidate]:
        out: dict[Version, Candidate] = {}
        for g in self.groups:
            assert g.choice is not None
            if g.choice.kept_apart:
                continue  # each copy keeps its own encoding: nothing to rewrite
            for v in g.versions:
                out[v] = g.choice.candidate
        return out

    @property
    def total(self) -> int:
        return sum(g.choice.total for g in self.groups if g.choice is not None)

    @property
    def iree_total(self) -> int:
        return sum(g.iree.total for g in self.groups)


def solve(analysis: Analysis, w: Weights | None = None, budgets: dict[str, int] | None = None,
          pins: dict[str, Value] | None = None, hint: SizeHint | None = None) -> Solution:
    """Choose one candidate per group minimizing the total cost; CP-SAT must prove OPTIMAL.

    `budgets` maps a device global name to a byte limit; `pins` maps a group key
    (`source [shape]`) or a source key to the encoding it must take.
    """
    w = w or Weights()
    groups = build_groups(analysis, w, hint)
    model = cp_model.CpModel()
    max_rank = max((len(g.costs) for g in groups), default=1)
    scale = max_rank + 1
    # Keep the objective within 64 bits: if needed, count costs in units of 2**shift bytes
    # (rounded up), as spec 12.5 suggests; the report keeps the exact byte costs.
    # (CP-SAT rejects objectives whose coefficients may sum past about 2**61.)
    shift = 0
    while sum(((c.total >> shift) + 2) * scale for g in groups for c in g.costs) >= 2 ** 60:
        shift += 10
    xs: list[list[tuple[Cost, cp_model.IntVar]]] = []
    terms = []
    budgets = budgets or {}
    usage: dict[str, list[tuple[int, cp_model.IntVar]]] = {d: [] for d in budgets}
    for gi, g in enumerate(groups):
        row = []
        pin = None
        if pins:
            pin = pins.get(g.key, pins.get(g.source.key))
        for c in g.costs:
            if not c.feasible:
                continue
            x = model.new_bool_var(f"x_{gi}_{c.rank}")
            row.append((c, x))
            units = -(-c.total >> shift)  # ceil(total / 2**shift)
            terms.append((units * scale + c.tie, x))
            for d, b in c.bytes_by_device.items():
                if d in usage:
                    usage[d].append((b, x))
            if pin is not None and c.candidate.value == pin:
                model.add(x == 1)
        if not row:
            g.choice = kept_apart(g, w, hint)
            xs.append(row)
            continue
        model.add_exactly_one(x for _, x in row)
        xs.append(row)
    for d, limit in budgets.items():
        if usage[d]:
            model.add(sum(b * x for b, x in usage[d]) <= limit)
    model.minimize(sum(t * x for t, x in terms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    name = solver.status_name(status)
    if status == cp_model.INFEASIBLE:
        raise PlacementError("no choice of unified encodings meets the memory budgets")
    if status != cp_model.OPTIMAL:
        raise PlacementError(f"CP-SAT did not prove optimality (status {name})")
    for g, row in zip(groups, xs, strict=True):
        if row:
            g.choice = next(c for c, x in row if solver.value(x))
    return Solution(groups, name, int(solver.objective_value), shift)
