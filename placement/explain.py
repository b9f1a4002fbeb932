"""Why a value lives where it lives: derivations over the Z3 model's constraint graph.

For an element e and a device d in its final set, the *derivation* is the shortest chain of
reads e <- f1 <- ... <- fk where every element carries d, every guarded read comes from a valid
element, and fk is fixed to d by an explicit affinity (or pinned through one). Each step names
the spec rule that created the read and the op (and source line) that justifies it.

When an element prints `[]`, the failure is explained instead: either it is invalid (the chain of
unguarded reads down to the traversal that was INCOMPLETE, and what made it incomplete), or it
is valid but empty (what it reads, and that no `stream.affinity.default` applies).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from placement import ops as optable
from placement.affinity import affinity_text, default_affinity, own_affinity, value_scope_op
from placement.ir.core import BlockArgument, Module, Operation, OpResult, Use, Value
from placement.ir.explorer import Explorer, Walk, has_body, is_public, symbol_name
from placement.model.constraints import Edge, build_constraints
from placement.model.z3_engine import solve_system
from placement.ops import Role
from placement.solution import Kind, Solution, State, Subject

if TYPE_CHECKING:
    from placement.iree313.annotate import Lookups


@dataclass
class Step:
    """One read in a derivation: `reader` reads `source` by `rule`, because of `op`."""

    reader: str
    source: str
    rule: str
    op: str | None
    location: str | None

    def as_json(self) -> dict[str, object]:
        """JSON form."""
        return {"reader": self.reader, "source": self.source, "rule": self.rule, "op": self.op,
                "location": self.location}


@dataclass
class Derivation:
    """Why device `device` is in an element's set: steps, then the explicit affinity."""

    device: str
    steps: list[Step]
    origin: str  # the fixed element at the end of the chain
    origin_reason: str  # where its explicit affinity comes from
    origin_location: str | None

    def as_json(self) -> dict[str, object]:
        """JSON form."""
        return {"device": self.device, "steps": [s.as_json() for s in self.steps],
                "origin": self.origin, "origin_reason": self.origin_reason,
                "origin_location": self.origin_location}


@dataclass
class Failure:
    """Why an element prints `[]`: invalid (chain to an incomplete traversal) or empty."""

    kind: str  # "invalid" | "empty" | "missing"
    steps: list[Step] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """JSON form."""
        return {"kind": self.kind, "steps": [s.as_json() for s in self.steps],
                "reasons": self.reasons}


@dataclass
class Explanation:
    """The explanation of one element."""

    element: str
    what: str  # e.g. "operand 0 of flow.dispatch" / "value %x"
    location: str | None
    valid: bool
    devices: list[str]
    printed: str  # what the annotation prints for it
    derivations: list[Derivation] = field(default_factory=list)
    failure: Failure | None = None

    def as_json(self) -> dict[str, object]:
        """JSON form."""
        return {"element": self.element, "what": self.what, "location": self.location,
                "valid": self.valid, "devices": self.devices, "printed": self.printed,
                "derivations": [d.as_json() for d in self.derivations],
                "failure": self.failure.as_json() if self.failure else None}


def _text(devices: list[str]) -> str:
    return "[" + ", ".join(devices) + "]"


def _loc(op: Operation | None) -> str | None:
    return None if op is None else f"{op.loc.file}:{op.loc.line}:{op.loc.col}"


def _func_of(op: Operation) -> Operation | None:
    for x in op.ancestors():
        if optable.info(x).role == Role.FUNCTION:
            return x
    return None


def _call_reason(ex: Explorer, call: Operation, what: str, indirect: str,
                 bodiless: str) -> list[str]:
    """Why a call makes a traversal incomplete: the callee is unknown (spec section
    `indirect`) or has no body (`bodiless`); [] when neither."""
    callee = ex.callee(call)
    if callee is None:
        return [f"{what} {call.name} at {_loc(call)}, an indirect or unresolved call "
                f"({indirect})"]
    if not has_body(callee):
        return [f"{what} {symbol_name(callee)} at {_loc(call)}, which has no body "
                f"({bodiless})"]
    return []


def value_owner_op(v: Value) -> Operation | None:
    """The op defining a result, or the op owning a block argument's region."""
    if isinstance(v, OpResult):
        return v.owner
    return value_scope_op(v)


def describe_op(op: Operation) -> str:
    """`%r = flow.dispatch @ex::@e` style label."""
    names = ", ".join(r.name for r in op.results if r.name)
    sym = f" {op.symbols[0]}" if op.symbols and not optable.info(op).defines_symbol else ""
    own = symbol_name(op) if optable.info(op).defines_symbol else None
    label = f"{op.name}{sym}" + (f" {own}" if own else "")
    return f"{names} = {label}" if names else label


def element_name(kind: Kind, subject: Subject) -> str:
    """`P(%x)`, `C(%x)`, `G(@g)`, `O(flow.dispatch @ex at 12:3)`."""
    if isinstance(subject, Operation):
        if kind == Kind.G:
            return f"G({symbol_name(subject)})"
        return f"O({describe_op(subject)} at {subject.loc.line}:{subject.loc.col})"
    return f"{kind.value}({subject.name})"


def explicit_origin(module: Module, op: Operation) -> tuple[str, Operation]:
    """Which attribute on which op gives `op` its explicit affinity (spec 1.1 lookup)."""
    for x in op.ancestors():
        if optable.info(x).affinity_aware and own_affinity(module, x) is not None:
            attrs = optable.info(x).affinity_attrs or ()
            name = next((a for a in attrs if x.attr(a) is not None), "affinity")
            what = "its own" if x is op else f"enclosing {x.name}'s"
            return f"explicit affinity: {what} `{name}` attribute", x
        if affinity_text(module, x.attr("stream.affinity")) is not None:
            what = "its own" if x is op else f"enclosing {x.name} {symbol_name(x) or ''}"
            return f"explicit affinity: {what.strip()} `stream.affinity`", x
    return "explicit affinity", op


class Explainer:
    """Explanations over one module's constraint system and its least model."""

    def __init__(self, module: Module, explorer: Explorer | None = None,
                 semantics: str = "seed") -> None:
        self.module = module
        if semantics != "seed":  # the IREE 3.13 profile's model (docs/iree313.md)
            from placement.iree313.explorer import Explorer313, apply_rows
            from placement.model.iree313 import build_constraints_313, solve_system_313

            apply_rows(module)
            self.explorer = explorer or Explorer313(module)
            self.cs = build_constraints_313(module, self.explorer)
            self.invalid, self.bits = solve_system_313(self.cs)
        else:
            self.explorer = explorer or Explorer(module)
            self.cs = build_constraints(module, self.explorer)
            self.invalid, self.bits = solve_system(self.cs)
        self.reads = self.cs.reads_of()
        # IREE 3.13 answers from its own lookups (pinned values first, default fallbacks):
        # the same `Lookups` that `solve --semantics iree-3.13` prints, over this model.
        self.lookups: Lookups | None = None
        if semantics != "seed":
            from placement.iree313.annotate import Lookups
            from placement.iree313.pins import pinned_values

            solution = Solution("z3", semantics=semantics,
                                pinned=pinned_values(module, self.explorer))
            for e, (kind, subject) in enumerate(self.cs.keys):
                solution.set(kind, subject, State(e not in self.invalid,
                                                  frozenset(self.devices_of(e))))
            self.lookups = Lookups(module, solution)

    # ------------------------------------------------------------------ helpers
    def devices_of(self, e: int) -> list[str]:
        """Sorted devices of an element's final set."""
        return [d for k, d in enumerate(self.cs.devices) if self.bits[e] >> k & 1]

    def name(self, e: int) -> str:
        """Display name of element e."""
        kind, subject = self.cs.keys[e]
        return element_name(kind, subject)

    def step(self, edge: Edge) -> Step:
        """A Step from an edge."""
        return Step(self.name(edge.reader), self.name(edge.source), edge.rule,
                    describe_op(edge.op) if edge.op is not None else None, _loc(edge.op))

    # ------------------------------------------------------------------ derivations
    def derivation(self, e: int, device: str) -> Derivation:
        """Shortest chain of reads from e down to an element fixed to `device`."""
        k = self.cs.devices.index(device)
        parent: dict[int, Edge | None] = {e: None}
        queue = deque([e])
        goal = None
        while queue:
            x = queue.popleft()
            if self.cs.fixed.get(x) == device:
                goal = x
                break
            for edge in self.reads[x]:
                f = edge.source
                if f in parent or not self.bits[f] >> k & 1:
                    continue
                if edge.guarded and f in self.invalid:
                    continue
                parent[f] = edge
                queue.append(f)
        if goal is None:
            raise AssertionError(f"no derivation of {device} for {self.name(e)}")
        steps: list[Step] = []
        x = goal
        back = parent[x]
        while back is not None:
            steps.append(self.step(back))
            back = parent[back.reader]
        steps.reverse()
        subject = self.cs.keys[goal][1]
        assert isinstance(subject, Operation)
        reason, origin = explicit_origin(self.module, subject)
        return Derivation(device, steps, self.name(goal), reason, _loc(origin))

    # ------------------------------------------------------------------ failures
    def invalid_chain(self, e: int) -> tuple[list[Step], int]:
        """Shortest chain of unguarded reads from e to an invalid element that is incomplete."""
        parent: dict[int, Edge | None] = {e: None}
        queue = deque([e])
        while queue:
            x = queue.popleft()
            if x in self.cs.incomplete and x not in self.cs.fixed:
                steps = []
                y = x
                while parent[y] is not None:
                    edge = parent[y]
                    assert edge is not None
                    steps.append(self.step(edge))
                    y = edge.reader
                steps.reverse()
                return steps, x
            for edge in self.reads[x]:
                if not edge.guarded and edge.source in self.invalid \
                        and edge.source not in parent:
                    parent[edge.source] = edge
                    queue.append(edge.source)
        raise AssertionError(f"{self.name(e)} is invalid without an incomplete source")

    def incomplete_reasons(self, e: int) -> list[str]:
        """What made element e's traversal INCOMPLETE (spec 2, 4)."""
        kind, subject = self.cs.keys[e]
        if kind == Kind.G:
            return [f"{self.name(e)}: the global is indirect (util.global.address)"]
        if kind == Kind.P:
            assert isinstance(subject, Value)
            reasons = self._defining_reasons(subject)
        elif kind == Kind.C:
            assert isinstance(subject, Value)
            reasons = self._use_reasons(subject)
        else:
            reasons = []
        return reasons or [f"{self.name(e)}: {self.cs.incomplete.get(e, 'incomplete')}"]

    def _defining_reasons(self, v: Value) -> list[str]:
        ex = Explorer(self.module)
        reasons: list[str] = []
        incoming = ex.incoming

        def recording(arg: BlockArgument) -> tuple[list[Value], bool]:
            vals, inc = incoming(arg)
            if inc:
                reasons.append(self._arg_reason(arg))
            return vals, inc

        setattr(ex, "incoming", recording)  # noqa: B010 - instrument this private explorer

        def on_def(r: OpResult) -> Walk:
            d = r.owner
            role = optable.info(d).role
            if role == Role.CALL:
                reasons.extend(_call_reason(ex, d, f"{r.name} comes from", "2.2", "2.2"))
            elif role == Role.GLOBAL_LOAD:
                gi = ex.global_info(d)
                if gi is None or gi.is_indirect:
                    reasons.append(f"{r.name} is loaded at {_loc(d)} from a global that is "
                                   "indirect or unknown (2.2)")
            return Walk.ADVANCE

        ex.walk_defining_ops(v, on_def, follow_ties=False)
        return list(dict.fromkeys(reasons))

    def _arg_reason(self, arg: BlockArgument) -> str:
        region = arg.owner.parent
        parent = region.parent if region is not None else None
        if parent is not None and optable.info(parent).role == Role.FUNCTION:
            fname = symbol_name(parent) or parent.name
            if is_public(parent):
                return (f"{arg.name} is an argument of public function {fname}: its callers "
                        "are unknown (2.1, Q21)")
            return (f"{arg.name} is an argument of {fname}, and the module has an indirect "
                    "call, so the call graph is incomplete (1.5)")
        where = f"{parent.name} at {_loc(parent)}" if parent is not None else "a region"
        return f"{arg.name} is an entry argument of {where}: no incoming values are known (2.1)"

    def _use_reasons(self, v: Value) -> list[str]:
        ex = self.explorer
        reasons: list[str] = []

        def on_use(u: Use) -> None:
            op, idx = u.owner, u.index
            row = optable.info(op)
            used = op.operands[idx].name
            if row.role == Role.CALL:
                reasons.extend(_call_reason(ex, op, f"{used} is passed to", "2.3", "2.3, Q19"))
            if row.role in (Role.RETURN, Role.YIELD):
                parent = op.parent_op
                if parent is not None and optable.info(parent).role == Role.FUNCTION:
                    _, inc = ex.walk_incoming_calls(parent)
                    if inc:
                        fname = symbol_name(parent) or parent.name
                        why = "public" if is_public(parent) else "reachable by indirect calls"
                        reasons.append(f"{used} is returned at {_loc(op)} from {fname}, which is "
                                       f"{why}: its callers are unknown (2.3, Q21)")
                elif row.role == Role.YIELD and (parent is None or optable.info(parent).role
                                                 not in (Role.SCF_IF, Role.SCF_FOR,
                                                         Role.SCF_WHILE)):
                    reasons.append(f"{used} is yielded at {_loc(op)} to an unhandled parent "
                                   "(4.2, Q20)")
            if row.role == Role.GLOBAL_STORE:
                gi = ex.global_info(op)
                if gi is None or gi.is_indirect:
                    reasons.append(f"{used} is stored at {_loc(op)} to an indirect or unknown "
                                   "global (2.3)")

        ex.walk_transitive_uses(v, on_use, follow_ties=False)
        return list(dict.fromkeys(reasons))

    def empty_reasons(self, e: int, default_from: Operation | None) -> list[str]:
        """Why a valid element has no device, and that no default applies."""
        kind, subject = self.cs.keys[e]
        reasons: list[str] = []
        reads = self.reads[e]
        if not reads:
            if isinstance(subject, BlockArgument):
                region = subject.owner.parent
                parent = region.parent if region is not None else None
                if parent is not None and optable.info(parent).role == Role.FUNCTION:
                    calls, _ = self.explorer.walk_incoming_calls(parent)
                    fname = symbol_name(parent) or parent.name
                    if not calls:
                        reasons.append(f"{subject.name} is an argument of private function "
                                       f"{fname}, which has no call sites: no producer (2.1)")
            if not reasons:
                reasons.append(f"{self.name(e)} reads nothing: no producer was found")
        else:
            for edge in reads:
                state = ("invalid (skipped: guarded read)" if edge.source in self.invalid
                         else "empty")
                reasons.append(f"{self.name(e)} reads {self.name(edge.source)} "
                               f"[{edge.rule}], which is {state}")
        if default_from is not None:
            reasons.append("no `stream.affinity.default` on any enclosing op (7.1)")
        return reasons

    # ------------------------------------------------------------------ entry points
    def explain(self, kind: Kind, subject: Subject, what: str,
                default_from: Operation | None, location: str | None) -> Explanation:
        """Explain one element (what it prints and why)."""
        e = self.cs.find(kind, subject)
        name = element_name(kind, subject)
        if self.lookups is not None:
            pinners = self.lookups.solution.pinned.get(id(subject)) if kind == Kind.P else None
            if pinners and isinstance(subject, Value):
                return self._pinned(subject, name, what, location, pinners)
            if e is None and isinstance(subject, Operation):
                found = self.lookups.global_(subject) if kind == Kind.G \
                    else self.lookups.execution(subject)
                if found:
                    return Explanation(name, what, location, True, [], _text(found),
                                       failure=Failure("empty", reasons=[
                                           f"no {name} element exists; IREE 3.13 falls back "
                                           f"to the default {found[0]} (10.1#9)"]))
        if e is None:
            return Explanation(name, what, location, False, [], "[]",
                               failure=Failure("missing", reasons=[
                                   f"no {name} element exists: nothing creates or reads it "
                                   "(4.0), so the lookup fails"]))
        valid = e not in self.invalid
        devices = self.devices_of(e) if valid else []
        out = Explanation(name, what, location, valid, devices, "[]")
        if not valid:
            steps, source = self.invalid_chain(e)
            out.failure = Failure("invalid", steps, self.incomplete_reasons(source))
        elif devices:
            out.printed = _text(devices)
            out.derivations = [self.derivation(e, d) for d in devices]
        else:
            default = default_affinity(self.module, default_from)
            if default is not None:
                out.printed = f"[{default}]"
                out.failure = Failure("empty", reasons=[
                    f"{name} is valid and empty; the default {default} applies (7.1)"])
            else:
                out.failure = Failure("empty", reasons=self.empty_reasons(e, default_from))
        return out

    def _pinned(self, v: Value, name: str, what: str, location: str | None,
                pinners: list[Operation]) -> Explanation:
        """A value pinned in IREE 3.13 (PR #20945, 10.1#2): its set is the union of its
        pinning ops' execution affinities, whatever its producer element holds."""
        assert self.lookups is not None
        found = self.lookups.pinned(v)
        out = Explanation(name, what, location, found is not None, found or [],
                          _text(found or []))
        if found is None:
            out.failure = Failure("pinned", reasons=[
                f"{name} is pinned by {describe_op(p)} at {_loc(p)}, whose execution lookup "
                "fails (10.1#2)" for p in pinners if self.lookups.execution(p) is None])
            return out
        for device in found:
            pinner = next(p for p in pinners if device in (self.lookups.execution(p) or ()))
            pin = Step(name, element_name(Kind.O, pinner), "pinned (10.1#2)",
                       describe_op(pinner), _loc(pinner))
            o = self.cs.find(Kind.O, pinner)
            if o is not None and o not in self.invalid and device in self.devices_of(o):
                der = self.derivation(o, device)
                out.derivations.append(Derivation(device, [pin, *der.steps], der.origin,
                                                  der.origin_reason, der.origin_location))
            else:
                out.derivations.append(Derivation(device, [pin], element_name(Kind.O, pinner),
                                                  "the default `stream.affinity.default` "
                                                  "(7.1, 10.1#9)", _loc(pinner)))
        return out

    def explain_value(self, v: Value, what: str | None = None) -> Explanation:
        """Explain P(v): the value's printed resource affinity."""
        owner = value_owner_op(v)
        loc = _loc(v.owner) if isinstance(v, OpResult) else (
            f"{v.loc.file}:{v.loc.line}:{v.loc.col}" if v.loc else _loc(owner))
        return self.explain(Kind.P, v, what or f"value {v.name}", value_scope_op(v), loc)

    def explain_global(self, op: Operation) -> Explanation:
        """Explain G(@g): what `solve` prints as a global's `stream.affinities`."""
        from placement.affinity import requires_affinity
        from placement.ir.explorer import is_affinity_type

        what = f"global {symbol_name(op)}"
        if not (is_affinity_type(op.syntax_attrs.get("type", "")) and requires_affinity(op)):
            what += " (not printed: not an affinity-typed global)"
        return self.explain(Kind.G, op, what, op, _loc(op))

    def explain_op(self, op: Operation) -> list[Explanation]:
        """Explain an op: its execution (if affinity-aware), each operand, each result; a
        global by its G element, as `solve` annotates it."""
        from placement.affinity import requires_affinity
        from placement.ir.explorer import is_affinity_typed

        if optable.info(op).role == Role.GLOBAL:
            return [self.explain_global(op)]
        out: list[Explanation] = []
        if optable.info(op).affinity_aware:
            what = f"execution of {describe_op(op)}"
            if not requires_affinity(op):
                what += " (not printed: requiresAffinity is false)"
            out.append(self.explain(Kind.O, op, what, op, _loc(op)))
        for i, v in enumerate(op.operands):
            if is_affinity_typed(v):
                out.append(self.explain_value(v, f"operand {i} ({v.name}) of {op.name}"))
        for i, r in enumerate(op.results):
            if is_affinity_typed(r):
                out.append(self.explain_value(r, f"result {i} ({r.name}) of {op.name}"))
        return out


def find_values(module: Module, name: str, function: str | None) -> list[Value]:
    """Values named `name` (`%x` or `x`), optionally only inside function `function`."""
    want = name if name.startswith("%") else "%" + name
    fwant = None if function is None else (function if function.startswith("@")
                                            else "@" + function)
    out: list[Value] = []
    for top in module.top_level_ops():
        if optable.info(top).role != Role.FUNCTION:
            continue
        if fwant is not None and symbol_name(top) != fwant:
            continue
        for op in top.walk():
            for region in op.regions:
                for block in region.blocks:
                    out.extend(a for a in block.arguments if a.name == want)
            out.extend(r for r in op.results if r.name == want)
    return out


def find_globals(module: Module, name: str) -> list[Operation]:
    """The top-level global named `name` (`@g`), if any."""
    return [op for op in module.top_level_ops()
            if optable.info(op).role == Role.GLOBAL and symbol_name(op) == name]


def find_ops(module: Module, line: int, col: int | None) -> list[Operation]:
    """Ops (inside functions) starting at `line` (and `col`, if given)."""
    out = []
    for top in module.top_level_ops():
        for op in top.walk():
            if op.loc.line == line and (col is None or op.loc.col == col) \
                    and op.parent_op is not None:
                out.append(op)
    return out


def function_name_of(v: Value) -> str | None:
    """The symbol of the top-level function a value is defined in."""
    owner = value_owner_op(v)
    if owner is None:
        return None
    func = _func_of(owner)
    return symbol_name(func) if func is not None else None

