"""The placement problem of a module: decisions, candidates, value flows and sizes.

A *decision* is an op for which `--iree-stream-annotate-affinities` prints `stream.affinities`
(spec 7.2: affinity-aware, `requiresAffinity()`, inside a function) or a tensor `util.global`.
Its candidates are the devices of its potential set from the fixpoint Solution, or every device
of the module when that set is empty or invalid (or with `candidates="all"`); an explicit
affinity makes it fixed. IREE's choice is the first device of the printed list (spec 7.1,
`trySelectLeadAffinity` keeps the lead), the default affinity for an empty set, else the first
device.

A *flow* is one produced value (its *root*: a decided op's result, a global load, a pinned HAL
result) with the devices that consume it. Values that only pass through (ties of non-aware ops,
barriers, calls, block arguments, region results) resolve to the root they carry; a value that
merges different roots has no single home and costs nothing (reported as an assumption).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from placement import ops as optable
from placement.affinity import affinity_text, default_affinity, explicit_affinity, global_type
from placement.affinity import requires_affinity as op_requires_affinity
from placement.annotate import compute_annotations
from placement.diagnostics import PlacementError
from placement.ir.attributes import ShapedType, parse_type
from placement.ir.core import BlockArgument, Module, Operation, OpResult, Value
from placement.ir.explorer import Explorer, is_affinity_typed, symbol_name
from placement.ops import Role
from placement.solution import Kind, Solution

DEFAULT_DIM = 1  # a dynamic dim without --dim counts as this many elements
_SYMBOL = re.compile(r"@([\w$.\-]+)")

Endpoint = tuple[str, int]  # ("dec", decision index) or ("dev", device index)


@dataclass(frozen=True)
class Options:
    """Cost-model inputs from the command line (docs/place.md)."""

    budgets: dict[str, int] = field(default_factory=dict)  # device name (no '@') -> bytes
    links: dict[tuple[str, str], int] = field(default_factory=dict)  # (from, to) -> weight
    dims: dict[str, int] = field(default_factory=dict)  # SSA name (no '%') -> size
    dim_default: int = DEFAULT_DIM
    costs: dict[str, int] = field(default_factory=dict)  # dispatch symbol -> compute cost
    balance_weight: int = 0
    storage_weight: int = 1
    max_changes: int | None = None
    candidates: str = "potential"  # or "all"
    replicate: bool = False


@dataclass
class Decision:
    """One op or global to place."""

    index: int
    subject: Operation
    is_global: bool
    label: str
    candidates: tuple[int, ...]
    iree: int
    explicit: bool
    replicable: bool = False
    storage: int = 0  # bytes of one copy (globals)
    work: int = 0  # compute cost (ops)
    footprint: int = 0  # transient working set in bytes (ops)
    group: int = -1

    @property
    def free(self) -> bool:
        """Whether the solver has a choice here."""
        return len(self.candidates) > 1 or (self.replicable and len(self.candidates) > 1)


@dataclass
class Flow:
    """A produced value: where it lives (`source`) and who consumes it."""

    label: str
    bytes: int
    source: Endpoint
    consumers: list[Endpoint]


@dataclass
class Problem:
    """Everything the solver, the evaluator and the reports need, with no IR walking left."""

    devices: list[str]
    names: list[str]  # device symbol per device ("@dev_a"), or the text itself
    weights: list[list[int]]  # link weight from a to b (0 on the diagonal)
    decisions: list[Decision]
    flows: list[Flow]
    groups: list[list[int]]  # decision indices sharing one variable (ties, clones)
    budgets: dict[int, int]  # device index -> bytes
    options: Options
    assumptions: list[str] = field(default_factory=list)
    unhomed_values: int = 0

    def free_groups(self) -> list[int]:
        """Groups the solver decides (more than one candidate)."""
        return [g for g, members in enumerate(self.groups)
                if len(self.decisions[members[0]].candidates) > 1]


def device_name(text: str) -> str:
    """The device symbol (`@dev`) an affinity text names, else the text itself."""
    m = _SYMBOL.search(text)
    return "@" + m.group(1) if m else text


def _affinity_texts(module: Module, solution: Solution) -> list[str]:
    """Every concrete affinity the module names or the analysis derives (byte order)."""
    found: set[str] = set()
    device_globals: list[str] = []
    for op in module.root.walk():
        for value in list(op.attributes.values()) + list(op.syntax_attrs.values()):
            text = affinity_text(module, value)
            if text is not None and not text.startswith("#hal.device.optimal<"):
                found.add(text)
        if optable.info(op).role == Role.GLOBAL and global_type(op).strip() == "!hal.device":
            name = symbol_name(op)
            if name:
                device_globals.append(name)
    for state in solution.states.values():
        found.update(d for d in state.devices if not d.startswith("#hal.device.optimal<"))
    named = {device_name(t) for t in found}
    for name in device_globals:
        if name not in named:
            found.add(f"#hal.device.affinity<{name}>")
    return sorted(found, key=lambda s: s.encode())


def value_bytes(module: Module, value: Value, options: Options) -> tuple[int, int]:
    """Bytes of a tensor value from its type, and how many dynamic dims took the default."""
    text = module.resolve_type(value.type)
    if not text.startswith("tensor<"):
        return options.dim_default, 1  # a resource: its size is not in the type
    t = _shaped(text)
    if t is None:
        return 0, 0
    names = _dim_names(module, value)
    defaulted = 0
    count = 1
    k = 0
    for d in t.shape:
        if d is None:
            name = names[k] if k < len(names) else None
            k += 1
            if name is not None and name in options.dims:
                count *= options.dims[name]
            else:
                count *= options.dim_default
                defaulted += 1
        else:
            count *= d
    from placement.encoding.sizes import SizeError, dense_bytes

    try:
        return dense_bytes(ShapedType(t.kind, (count,), t.element)), defaulted
    except SizeError:
        return count, defaulted


@functools.lru_cache(maxsize=4096)
def _shaped(text: str) -> ShapedType | None:
    """The parsed tensor type (types repeat: parsed once each)."""
    try:
        t = parse_type(text)
    except PlacementError:
        return None
    return t if isinstance(t, ShapedType) else None


def _dim_names(module: Module, value: Value) -> list[str]:
    """SSA names of the dynamic dims written after the value's type (`T{%n, %m}`)."""
    if "?" not in value.type or not isinstance(value, OpResult):
        return []
    op = value.owner
    text = module.source[op.syntax.start:op.syntax.end]
    found = re.findall(re.escape(value.type) + r"\{([^}]*)\}", text)
    if not found:
        return []
    return [n.strip().lstrip("%") for n in found[-1].split(",")]


def _is_global_load(v: Value) -> bool:
    """A loaded global: its bytes are the global's storage, not a transient."""
    return isinstance(v, OpResult) and optable.info(v.owner).role == Role.GLOBAL_LOAD


def _is_decided_op(op: Operation) -> bool:
    row = optable.info(op)
    return row.affinity_aware and row.role != Role.FUNCTION and op_requires_affinity(op)


class _Builder:
    def __init__(self, module: Module, solution: Solution, options: Options) -> None:
        self.module = module
        self.solution = solution
        self.options = options
        self.explorer = Explorer(module)
        self.devices = _affinity_texts(module, solution)
        self.index = {d: i for i, d in enumerate(self.devices)}
        self.decisions: list[Decision] = []
        self.by_op: dict[int, int] = {}
        self.defaulted_dims = 0

    def device(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.devices)
            self.devices.append(text)
        return self.index[text]

    def bytes_of(self, value: Value) -> int:
        size, defaulted = value_bytes(self.module, value, self.options)
        self.defaulted_dims += defaulted
        return size

    def add(self, op: Operation, is_global: bool, kind: Kind, printed: list[str] | None) -> None:
        every = tuple(i for i, d in enumerate(self.devices)
                      if not d.startswith("#hal.device.optimal<"))
        explicit = explicit_affinity(self.module, op)
        state = self.solution.get(kind, op)
        if explicit is not None:
            candidates: tuple[int, ...] = (self.device(explicit),)
        elif self.options.candidates == "all" or state is None or not state.valid \
                or not state.devices:
            candidates = every
        else:
            candidates = tuple(sorted(self.device(d) for d in state.devices))
        if explicit is not None:
            iree = candidates[0]
        elif printed:
            iree = self.device(printed[0])
        else:
            fallback = default_affinity(self.module, op)
            if fallback is None and not candidates:
                return  # the module names no device at all: there is nothing to choose
            iree = self.device(fallback) if fallback is not None else candidates[0]
        if iree not in candidates:
            candidates = tuple(sorted(set(candidates) | {iree}))
        name = symbol_name(op) if is_global else None
        label = name or _op_label(op)
        d = Decision(len(self.decisions), op, is_global, label, candidates, iree,
                     explicit is not None)
        if is_global:
            d.storage = self.global_bytes(op)
            head = self.module.source[op.syntax.start:op.syntax.end].split("@", 1)[0]
            mutable = re.search(r"\bmutable\b", head) is not None
            d.replicable = self.options.replicate and not mutable and explicit is None
        else:
            sizes = [self.bytes_of(v) for v in list(op.operands) + list(op.results)
                     if is_affinity_typed(v) and not _is_global_load(v)]
            d.footprint = sum(sizes)
            d.work = self.work_of(op, d.footprint)
        self.by_op[id(op)] = d.index
        self.decisions.append(d)

    def global_bytes(self, op: Operation) -> int:
        text = self.module.resolve_type(global_type(op))
        probe = Value(text, "", None)
        return value_bytes(self.module, probe, self.options)[0]

    def work_of(self, op: Operation, footprint: int) -> int:
        costs = self.options.costs
        if costs and op.symbols:
            full = op.symbols[0]
            for key in (full, full.split("::")[-1], full.split("::")[0]):
                for k in (key, key.lstrip("@")):
                    if k in costs:
                        return costs[k]
        return footprint


def _op_label(op: Operation) -> str:
    names = ", ".join(r.name for r in op.results if r.name)
    head = f"{names} = {op.name}" if names else op.name
    if op.symbols:
        head += " " + op.symbols[0]
    return f"{head} ({op.loc.line}:{op.loc.col})"


_UNKNOWN = -1  # no single home
_PENDING = -2


def build_problem(module: Module, solution: Solution, options: Options) -> Problem:
    """Extract decisions, flows and sizes (see the module docstring)."""
    b = _Builder(module, solution, options)
    printed = {id(a.op): a.execution for a in compute_annotations(module, solution)}
    for top in module.top_level_ops():
        row = optable.info(top)
        if row.role == Role.GLOBAL:
            if global_type(top).startswith("tensor<") and op_requires_affinity(top) \
                    and b.explorer.global_info(top) is not None:  # unused: no G (spec 10.1#15)
                b.add(top, True, Kind.G, printed.get(id(top)))
        elif row.role == Role.FUNCTION:
            for x in top.walk_postorder():
                if x is not top and _is_decided_op(x):
                    b.add(x, False, Kind.O, printed.get(id(x)))
    roots = _RootFinder(b)
    flows: dict[int, Flow] = {}
    order: list[int] = []
    unhomed = 0
    for top in module.top_level_ops():
        if optable.info(top).role != Role.FUNCTION:
            continue
        for x in top.walk():
            values: list[Value] = list(x.results)
            for region in x.regions:
                for block in region.blocks:
                    values.extend(block.arguments)
            for v in values:
                if not is_affinity_typed(v) or not v.uses:
                    continue
                consumers = [c for u in v.uses if (c := _consumer(b, u.owner)) is not None]
                if not consumers:
                    continue
                root = roots.root(v)
                if root is None:
                    unhomed += 1
                    continue
                key = id(root)
                flow = flows.get(key)
                if flow is None:
                    source = roots.location(root)
                    if source is None:
                        unhomed += 1
                        continue
                    flow = flows[key] = Flow(_value_label(root), b.bytes_of(root), source, [])
                    order.append(key)
                for c in consumers:
                    if c not in flow.consumers and c != flow.source:
                        flow.consumers.append(c)
    flow_list = [flows[k] for k in order if flows[k].consumers]
    for f in flow_list:
        f.consumers.sort()
    groups = _collapse(b, roots)
    names = [device_name(d) for d in b.devices]
    weights = link_weights(module, b.devices, names, options)
    budgets: dict[int, int] = {}
    for name, limit in options.budgets.items():
        matched = [i for i, n in enumerate(names) if n == "@" + name]
        if not matched:
            raise PlacementError(f"--budget names @{name}, which is not a device of the module "
                                 f"(devices: {', '.join(sorted(set(names)))})", "--budget")
        for i in matched:
            budgets[i] = limit
    for pair in options.links:
        for dev in pair:
            if "@" + dev not in names:
                raise PlacementError(f"--link names @{dev}, which is not a device of the module",
                                     "--link")
    problem = Problem(b.devices, names, weights, b.decisions, flow_list, groups, budgets,
                      options, unhomed_values=unhomed)
    if b.defaulted_dims:
        problem.assumptions.append(f"{b.defaulted_dims} dynamic dim(s) without --dim counted as "
                                   f"{options.dim_default} element(s)")
    if unhomed:
        problem.assumptions.append(f"{unhomed} value use(s) with no single producer device "
                                   "(merges, public arguments) cost no transfer")
    return problem


def _value_label(v: Value) -> str:
    loc = v.loc
    return f"{v.name} ({loc.line}:{loc.col})" if loc is not None else v.name


def _consumer(b: _Builder, op: Operation) -> Endpoint | None:
    """Where a direct use of a value needs it: a decision, a pinned device, or nowhere."""
    i = b.by_op.get(id(op))
    if i is not None:
        return ("dec", i)
    row = optable.info(op)
    if row.role == Role.GLOBAL_STORE:
        g = b.explorer.global_op(op)
        gi = b.by_op.get(id(g)) if g is not None else None
        return ("dec", gi) if gi is not None else None
    if row.affinity_aware and row.role != Role.FUNCTION:
        found = explicit_affinity(b.module, op)
        if found is not None and optable.info(op).pins:
            return ("dev", b.device(found))
    return None


class _RootFinder:
    """The produced value a value carries (through ties, barriers, calls, block arguments)."""

    def __init__(self, b: _Builder) -> None:
        self.b = b
        self.memo: dict[int, Value | None] = {}

    def location(self, root: Value) -> Endpoint | None:
        b = self.b
        assert isinstance(root, OpResult)
        owner = root.owner
        i = b.by_op.get(id(owner))
        if i is not None:
            return ("dec", i)
        if optable.info(owner).role == Role.GLOBAL_LOAD:
            g = b.explorer.global_op(owner)
            gi = b.by_op.get(id(g)) if g is not None else None
            return ("dec", gi) if gi is not None else None
        found = explicit_affinity(b.module, owner)
        return ("dev", b.device(found)) if found is not None else None

    def _is_root(self, v: Value) -> bool:
        if not isinstance(v, OpResult):
            return False
        owner = v.owner
        row = optable.info(owner)
        if id(owner) in self.b.by_op or row.role == Role.GLOBAL_LOAD:
            return True
        return row.affinity_aware and explicit_affinity(self.b.module, owner) is not None

    def _inputs(self, v: Value) -> list[Value]:
        if isinstance(v, BlockArgument):
            return self.b.explorer.incoming(v)[0]
        assert isinstance(v, OpResult)
        owner = v.owner
        role = optable.info(owner).role
        if role == Role.OPT_BARRIER:
            return [owner.operands[v.index]] if v.index < len(owner.operands) else []
        if role == Role.SELECT:
            return list(owner.operands[1:3])
        return self.b.explorer.expand_definition(v, follow_ties=True)[0]

    def root(self, start: Value) -> Value | None:
        """The root of `start`, or None when it has none or several (iterative DFS)."""
        memo = self.memo
        if id(start) in memo:
            return memo[id(start)]
        stack: list[tuple[Value, list[Value] | None]] = [(start, None)]
        pending: dict[int, bool] = {}
        while stack:
            v, inputs = stack.pop()
            if id(v) in memo:
                continue
            if self._is_root(v):
                memo[id(v)] = v
                continue
            if inputs is None:
                inputs = [x for x in self._inputs(v) if is_affinity_typed(x)]
                pending[id(v)] = True
                stack.append((v, inputs))
                for x in inputs:
                    if id(x) not in memo and id(x) not in pending:
                        stack.append((x, None))
                continue
            found: list[Value] = []
            unknown = not inputs
            for x in inputs:
                r = memo.get(id(x), None) if id(x) in memo else None
                if id(x) not in memo:
                    continue  # a cycle back to a value still being resolved: no new root
                if r is None:
                    unknown = True
                elif all(r is not y for y in found):
                    found.append(r)
            memo[id(v)] = found[0] if len(found) == 1 and not unknown else None
        return memo[id(start)]


def _collapse(b: _Builder, roots: _RootFinder) -> list[list[int]]:
    """Groups of decisions that share a variable: an in-place (tied) op, or a clone, with the
    free producer of the value it updates or copies, when that value has no other use."""
    parent = list(range(len(b.decisions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for d in b.decisions:
        if d.is_global or len(d.candidates) < 2:
            continue
        op = d.subject
        linked: list[int] = []
        for r in range(len(op.results)):
            t = optable.tied_operand(op, r)
            if t is not None:
                linked.append(t)
        if optable.info(op).clone:
            linked.append(0)
        for t in linked:
            if t >= len(op.operands):
                continue
            v = op.operands[t]
            if len(v.uses) != 1 or not isinstance(v, OpResult):
                continue
            j = b.by_op.get(id(v.owner))
            if j is None or b.decisions[j].candidates != d.candidates:
                continue
            parent[find(d.index)] = find(j)
    groups: dict[int, list[int]] = {}
    for d in b.decisions:
        groups.setdefault(find(d.index), []).append(d.index)
    out = sorted(groups.values(), key=lambda m: m[0])
    for g, members in enumerate(out):
        for i in members:
            b.decisions[i].group = g
    return out


_FREE_LINK = re.compile(r"\b(?:unified_memory|transparent_access)\s*=\s*true\b")
_LINK = re.compile(r"\(\s*@([\w$.\-]+)\s*->\s*@([\w$.\-]+)\s*=\s*\{([^}]*)\}\s*\)")


def link_weights(module: Module, devices: list[str], names: list[str],
                 options: Options) -> list[list[int]]:
    """Weight per (from, to): 1, 0 for a unified-memory or transparent-access topology link
    and between two affinities of one device, then `--link` overrides."""
    n = len(devices)
    w = [[0 if a == c or names[a] == names[c] else 1 for c in range(n)] for a in range(n)]
    topo = module.root.attr("stream.topology")
    if topo is not None:
        text = module.resolve_attribute(topo)
        for src, dst, props in _LINK.findall(text):
            free = _FREE_LINK.search(props) is not None
            if free:
                for a in range(n):
                    for c in range(n):
                        if names[a] == "@" + src and names[c] == "@" + dst:
                            w[a][c] = 0
    for (src, dst), weight in options.links.items():
        for a in range(n):
            for c in range(n):
                if names[a] == "@" + src and names[c] == "@" + dst:
                    w[a][c] = weight
    return w
