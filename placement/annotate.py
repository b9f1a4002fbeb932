"""What `--iree-stream-annotate-affinities` prints (spec section 7), from an engine's Solution.

`compute_annotations(module, solution)` computes, per op, the three attribute families;
`apply_annotations` sets them on the IR with the Rewriter and `annotate_text` prints the result
with `print_ir`. Engines are chosen by name in `solve_module`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from placement import ops as optable
from placement.affinity import default_affinity, requires_affinity, value_scope_op
from placement.ir.core import Module, Operation, Value
from placement.ir.explorer import Explorer, is_affinity_type, is_affinity_typed
from placement.ir.printer import print_ir
from placement.ir.rewrite import Rewriter
from placement.ops import Role
from placement.solution import Kind, Solution, State

ATTR_EXEC = "stream.affinities"
ATTR_OPERANDS = "stream.affinities.operands"
ATTR_RESULTS = "stream.affinities.results"
ATTR_NAMES = (ATTR_EXEC, ATTR_OPERANDS, ATTR_RESULTS)
ATTR_OPERANDS_USAGE = "stream.affinities.operands.usage"
ATTR_RESULTS_USAGE = "stream.affinities.results.usage"
# Every attribute the pass can print (IREE 3.13 adds the two `.usage` lists).
ALL_ATTR_NAMES = (ATTR_EXEC, ATTR_OPERANDS, ATTR_OPERANDS_USAGE, ATTR_RESULTS,
                  ATTR_RESULTS_USAGE)


@dataclass
class OpAnnotation:
    """The annotation of one op: execution list and per-operand/result lists (None = absent)."""

    op: Operation
    execution: list[str] | None = None
    operands: list[list[str]] | None = None
    results: list[list[str]] | None = None
    operands_usage: list[list[str]] | None = None  # IREE 3.13 only
    results_usage: list[list[str]] | None = None  # IREE 3.13 only

    def attributes(self) -> dict[str, str | None]:
        """The attributes as printed text (None: not printed)."""
        out = {
            ATTR_EXEC: _list(self.execution) if self.execution else None,
            ATTR_OPERANDS: _nested(self.operands) if self.operands else None,
            ATTR_RESULTS: _nested(self.results) if self.results else None,
        }
        if self.operands_usage is not None or self.results_usage is not None:
            out[ATTR_OPERANDS_USAGE] = _nested(self.operands_usage) \
                if self.operands_usage else None
            out[ATTR_RESULTS_USAGE] = _nested(self.results_usage) if self.results_usage else None
        return out


def _list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _nested(lists: list[list[str]]) -> str:
    return "[" + ", ".join(_list(x) for x in lists) + "]"


class StateLookups:
    """`tryLookup*` over one solution's element states (None: the lookup fails), memoized:
    each distinct state is sorted once and each scope's default looked up once."""

    def __init__(self, module: Module, solution: Solution) -> None:
        self.module = module
        self.solution = solution
        self._sorted: dict[int, list[str]] = {}  # id(state) -> its members in order
        self._defaults: dict[int, str | None] = {}  # id(scope op) -> default affinity

    def _state(self, state: State | None, default_from: Operation | None,
               missing_default: bool) -> list[str] | None:
        """A state's sorted members, the default where it is valid and empty (or where there
        is no element and `missing_default`), None where the lookup fails."""
        if state is None:
            return self._default(default_from) if missing_default else None
        if not state.valid:
            return None
        if state.devices:
            found = self._sorted.get(id(state))
            if found is None:
                found = self._sorted[id(state)] = state.sorted()
            return list(found)
        return self._default(default_from)

    def _default(self, op: Operation | None) -> list[str] | None:
        key = id(op)
        if key in self._defaults:
            found = self._defaults[key]
        else:
            found = self._defaults[key] = default_affinity(self.module, op)
        return [found] if found is not None else None


def resource_affinity(module: Module, solution: Solution, value: Value) -> list[str] | None:
    """`tryLookupResourceAffinity(v)`."""
    return StateLookups(module, solution)._state(solution.get(Kind.P, value),
                                                 value_scope_op(value), False)


def annotation_sites(module: Module) -> Iterator[tuple[Operation, bool]]:
    """The ops the pass may annotate, in print order: (global, True) for each affinity-typed
    global that requires an affinity, (op, False) for every op of every function (inner ops
    first); nested objects (executables) are skipped."""
    for top in module.top_level_ops():
        role = optable.info(top).role
        if role == Role.GLOBAL:
            if is_affinity_type(top.syntax_attrs.get("type", "")) and requires_affinity(top):
                yield top, True
        elif role == Role.FUNCTION:
            for x in top.walk_postorder():
                yield x, False


def compute_annotations(module: Module, solution: Solution) -> list[OpAnnotation]:
    """Every annotated op in print order, with what AnnotateAffinities would attach."""
    if solution.semantics != "seed":
        from placement.iree313.annotate import compute_annotations_313

        return compute_annotations_313(module, solution)
    look = StateLookups(module, solution)
    lookup = look._state
    get = solution.states.get
    out: list[OpAnnotation] = []
    for x, is_global in annotation_sites(module):
        if is_global:
            found = lookup(get((Kind.G, id(x))), x, False)
            if found:
                out.append(OpAnnotation(x, execution=found))
            continue
        execution = None
        if optable.info(x).affinity_aware and requires_affinity(x):
            execution = lookup(get((Kind.O, id(x))), x, False) or None
        operands = [lookup(get((Kind.P, id(v))), value_scope_op(v), False) or []
                    for v in x.operands if is_affinity_typed(v)]
        results = [lookup(get((Kind.P, id(r))), value_scope_op(r), False) or []
                   for r in x.results if is_affinity_typed(r)]
        if execution or operands or results:
            out.append(OpAnnotation(x, execution, operands or None, results or None))
    return out


def apply_annotations(module: Module, anns: list[OpAnnotation]) -> None:
    """Set the annotations as attributes on the IR (a transform through the Rewriter), and
    remove stale ones from ops that now get none, so that re-running is idempotent."""
    rewriter = Rewriter(module)
    annotated = {id(a.op) for a in anns}
    for ann in anns:
        rewriter.set_attributes(ann.op, ann.attributes())
    for op in module.root.walk():
        if op.attributes and not op.attributes.keys().isdisjoint(ALL_ATTR_NAMES) \
                and id(op) not in annotated:
            rewriter.set_attributes(op, _NO_ANNOTATION)


# What a stale annotation becomes: every attribute the pass prints, removed.
_NO_ANNOTATION: dict[str, str | None] = dict.fromkeys(ALL_ATTR_NAMES)


def annotate_seed(module: Module, solution: Solution) -> None:
    """`apply_annotations(module, compute_annotations(module, solution))` for the seed
    semantics in one walk over the IR: each op's attribute texts are made from its elements'
    states (each state's text made once) and set on the op with the Rewriter, without
    intermediate `OpAnnotation`s; ops that get none lose stale annotations."""
    rewriter = Rewriter(module)
    set_attributes = rewriter.set_attributes
    get = solution.states.get
    kind_p, kind_o = Kind.P, Kind.O
    state_texts: dict[int, str] = {}  # id(state) -> its members as printed, `[a, b]`
    default_of = StateLookups(module, solution)._default  # memoized per scope op

    def default_text(op: Operation | None) -> str | None:
        """`[d]` for the first `stream.affinity.default` from `op` up, None if none."""
        found = default_of(op)
        return "[" + found[0] + "]" if found else None

    def state_text(state: State) -> str:
        key = id(state)
        found = state_texts.get(key)
        if found is None:
            found = state_texts[key] = "[" + ", ".join(state.sorted()) + "]"
        return found

    def value_text(value: Value) -> str:
        """The `tryLookupResourceAffinity` list of one value as printed (`[]`: fails)."""
        state = get((kind_p, id(value)))
        if state is None or not state.valid:
            return "[]"
        if state.devices:
            return state_text(state)
        return default_text(value_scope_op(value)) or "[]"

    def stale(op: Operation) -> None:
        if op.attributes and not op.attributes.keys().isdisjoint(ALL_ATTR_NAMES):
            set_attributes(op, _NO_ANNOTATION)

    def function(top: Operation) -> None:
        stack = [top]
        pop = stack.pop
        push = stack.extend
        while stack:
            x = pop()
            for region in x.regions:
                for block in region.blocks:
                    push(block.ops)
            execution = None
            if optable.info(x).affinity_aware and requires_affinity(x):
                state = get((kind_o, id(x)))
                if state is not None and state.valid:
                    execution = state_text(state) if state.devices else default_text(x)
            operands = [value_text(v) for v in x.operands if is_affinity_typed(v)]
            results = [value_text(r) for r in x.results if is_affinity_typed(r)]
            if execution or operands or results:
                set_attributes(x, {
                    ATTR_EXEC: execution,
                    ATTR_OPERANDS: "[" + ", ".join(operands) + "]" if operands else None,
                    ATTR_RESULTS: "[" + ", ".join(results) + "]" if results else None})
            else:
                stale(x)

    root = module.root
    stale(root)
    body = module.body
    for region in root.regions:
        for block in region.blocks:
            for top in block.ops:
                role = optable.info(top).role if block is body else None
                if role == Role.FUNCTION:
                    function(top)
                    continue
                if role == Role.GLOBAL and is_affinity_type(top.syntax_attrs.get("type", "")) \
                        and requires_affinity(top):
                    state = solution.states.get((Kind.G, id(top)))
                    if state is not None and state.valid:
                        execution = state_text(state) if state.devices else default_text(top)
                        if execution:
                            set_attributes(top, {ATTR_EXEC: execution, ATTR_OPERANDS: None,
                                                 ATTR_RESULTS: None})
                            continue
                for x in top.walk():
                    stale(x)


ENGINES = ("fixpoint", "z3", "both")


def solve_module(module: Module, engine: str = "fixpoint", semantics: str = "seed") -> Solution:
    """Run the chosen engine ("fixpoint" or "z3") under a semantics profile on a parsed module
    ("seed", or "iree-3.13": `placement.iree313`)."""
    if semantics != "seed":
        from placement.iree313.solve import solve_iree313

        return solve_iree313(module, engine)
    explorer = Explorer(module)
    if engine == "fixpoint":
        from placement.baseline.fixpoint import run_fixpoint

        return run_fixpoint(module, explorer)
    if engine == "z3":
        from placement.model.z3_engine import run_z3

        return run_z3(module, explorer)
    raise ValueError(f"unknown engine {engine!r}")


def annotate_text(module: Module, solution: Solution) -> str:
    """The module printed with the solution's annotations (set on the module's IR)."""
    if solution.semantics == "seed":
        annotate_seed(module, solution)
    else:
        apply_annotations(module, compute_annotations(module, solution))
    return print_ir(module)
