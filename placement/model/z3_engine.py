"""The Z3 engine: the least model of the monotone Horn clauses of spec 11, proved minimal.

Per module, two strata (spec 6.1), each a set of propositional definite Horn clauses:

* stratum 1, validity: `inv[e]` for every non-fixed element whose traversal was INCOMPLETE,
  and `inv[f] -> inv[e]` for every unguarded read of `f` by `e`;
* stratum 2, membership: `x[e,d]` for every fixed `e` and its explicit `d`, `x[f,d] -> x[e,d]`
  for every unguarded read, and for every guarded read whose source is valid (stratum 1's
  answer is a constant here: stratified negation).

Each stratum is solved by Z3's SAT solver (`QF_FD`, the clauses as one DIMACS text, each fact
set under its own selector assumption), then the candidate models are proved to be the *least*
models by one more Z3 call: over the atoms of each candidate M, "the facts, the clauses, and
some atom of M is false" must be unsat. Definite Horn clauses have a unique minimal model (the
least one), so that unsat is a proof that M is it. If Z3 answers sat (a self-supporting cycle
was made true), the smaller models it returns replace the candidates and the proof is retried;
each retry strictly shrinks them, so this terminates. See docs/z3-model.md.
"""

from __future__ import annotations

import ctypes
from typing import Any

import z3
from z3 import z3core

from placement.ir.core import Module
from placement.ir.explorer import Explorer
from placement.model.constraints import ConstraintSystem, build_constraints
from placement.solution import Solution, State


class MinimalityError(RuntimeError):
    """Z3 returned something that is not a model of the clauses (should never happen)."""


def least_model(ctx: z3.Context, facts: list[int], clauses: list[tuple[int, int]]) -> set[int]:
    """The least model of `facts` and `body -> head` clauses, with Z3's proof of minimality."""
    return least_models(ctx, [facts], clauses)[0]


def least_models(ctx: z3.Context, fact_sets: list[list[int]],
                 clauses: list[tuple[int, int]]) -> list[set[int]]:
    """The least model of the `body -> head` clauses under each set of facts, each with Z3's
    proof of minimality.

    Atoms are positive integers; the clauses go to one Z3 SAT solver once, in DIMACS form
    (`-b h 0` for `b -> h`; Z3's variable `k!a` is atom a). Fact set i is guarded by its own
    selector atom g_i (a fresh atom above every atom of the problem): `-g_i a 0` per fact a,
    all sets in one more DIMACS text, and set i is solved by one check under the assumption
    g_i. So independent problems over the same clauses (the devices of stratum 2) share one
    clause database and one parse, with no per-set scopes (popping a scope of the SAT solver
    costs time in its number of clauses, and each DIMACS text costs time in its largest
    variable). All the candidate models are then proved least by one more Z3 call
    (`prove_least`).
    """
    out: list[set[int]] = [set() for _ in fact_sets]
    if not any(fact_sets):
        return out  # with no facts the empty set is a model, and trivially the least one
    # Atoms no fact or clause mentions are false in every least model; Z3 never sees them.
    top = max(max(f, default=0) for f in fact_sets)
    for b, h in clauses:
        if b > top:
            top = b
        if h > top:
            top = h
    # The solver is gone before the proof's instance is built (Z3's memory is reused).
    return prove_least(ctx, fact_sets, clauses, _candidates(ctx, fact_sets, clauses, top))


def _candidates(ctx: z3.Context, fact_sets: list[list[int]], clauses: list[tuple[int, int]],
                top: int) -> list[set[int]]:
    """Z3's model of the clauses under each fact set (atoms up to `top`)."""
    out: list[set[int]] = [set() for _ in fact_sets]
    solver = z3.SolverFor("QF_FD", ctx=ctx)
    # Decide every atom false first: the first model is then the least one in practice (the
    # proof does not rely on it), and the selectors not assumed are false, so only the
    # assumed set's facts hold.
    solver.set("sat.phase", "always_false")
    guarded = [f"-{top + i + 1} {a} 0" for i, facts in enumerate(fact_sets) for a in facts]
    guarded.extend([f"-{b} {h} 0" for b, h in clauses])
    text = f"p cnf {top + len(fact_sets)} {len(guarded)}\n" + "\n".join(guarded)
    del guarded
    solver.from_string(text)
    del text
    read = ModelReader()
    for i, facts in enumerate(fact_sets):
        if facts:
            if solver.check(_atom(ctx, top + i + 1)) != z3.sat:
                raise MinimalityError("definite Horn clauses reported unsatisfiable")
            out[i] = {a for a in read(solver.model()) if a <= top}
    return out


def _atom(ctx: z3.Context, n: int) -> z3.BoolRef:
    """Z3's Boolean constant for DIMACS variable n (the integer symbol n, printed `k!n`)."""
    ref = ctx.ref()
    return z3.BoolRef(z3.Z3_mk_const(ref, z3.Z3_mk_int_symbol(ref, n), z3.BoolSort(ctx).ast),
                      ctx)


def prove_least(ctx: z3.Context, fact_sets: list[list[int]], clauses: list[tuple[int, int]],
                models: list[set[int]]) -> list[set[int]]:
    """The candidate models, shrunk until Z3 proves each the least model of the clauses under
    its facts.

    Each candidate M must satisfy its facts and every clause (checked here). A model strictly
    below M makes every atom outside M false, which satisfies every clause whose body is
    outside M; and every clause whose body is in M has its head in M (M is a model). So
    "some model of the clauses under the facts is strictly below M" is the satisfiability of
    a problem over M's atoms only: the facts, the clauses with a body in M, and one clause
    "some atom of M is false". All candidates go into one instance over disjoint variables
    with one such clause for all of them, so one unsat answer proves every candidate least
    (definite Horn clauses have a unique minimal model, the least one). On sat, the smaller
    models Z3 found replace the candidates and the proof is repeated; the total size shrinks
    strictly each time, so this terminates.
    """
    heads: dict[int, list[int]] = {}
    for b, h in clauses:
        heads.setdefault(b, []).append(h)
    models = list(models)
    while True:
        for facts, model in zip(fact_sets, models, strict=True):
            _check_model(model, facts, heads)
        numbers: list[dict[int, int]] = []
        lines: list[str] = []
        count = 0
        for facts, model in zip(fact_sets, models, strict=True):
            number = {a: count + k + 1 for k, a in enumerate(sorted(model))}
            count += len(model)
            numbers.append(number)
            lines.extend([f"{number[a]} 0" for a in facts])
            lines.extend([f"-{number[b]} {number[h]} 0"
                          for b in model for h in heads.get(b, ())])
        if not count:
            return models  # every candidate is empty: trivially least
        lines.append(" ".join([f"-{v}" for v in range(1, count + 1)]) + " 0")
        solver = z3.SolverFor("QF_FD", ctx=ctx)
        text = f"p cnf {count} {len(lines)}\n" + "\n".join(lines)
        del lines
        solver.from_string(text)
        del text
        answer = solver.check()
        if answer == z3.unsat:
            return models  # proved: no model strictly below any candidate
        if answer != z3.sat:
            raise MinimalityError(f"minimality check answered {answer}")
        true = true_atoms(solver.model())
        smaller = [{a for a, v in number.items() if v in true} for number in numbers]
        if not all(s <= m for s, m in zip(smaller, models, strict=True)) or smaller == models:
            raise MinimalityError("minimality check did not shrink the models")
        models = smaller


def _c_function(name: str, restype: Any, *argtypes: Any) -> Any:
    """The C entry point behind a z3core wrapper, called directly through ctypes with plain
    integer handles: no per-call error check, no wrapper objects for the results."""
    wrapped = getattr(z3core, name).__defaults__[-1].f
    address = ctypes.cast(wrapped, ctypes.c_void_p).value
    assert address is not None
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_P = ctypes.c_void_p
_NUM_CONSTS = _c_function("Z3_model_get_num_consts", ctypes.c_uint, _P, _P)
_CONST_DECL = _c_function("Z3_model_get_const_decl", _P, _P, _P, ctypes.c_uint)
_CONST_INTERP = _c_function("Z3_model_get_const_interp", _P, _P, _P, _P)
_DECL_NAME = _c_function("Z3_get_decl_name", _P, _P, _P)
_SYMBOL_KIND = _c_function("Z3_get_symbol_kind", ctypes.c_int, _P, _P)
_SYMBOL_INT = _c_function("Z3_get_symbol_int", ctypes.c_int, _P, _P)
_MK_TRUE = _c_function("Z3_mk_true", _P, _P)


class ModelReader:
    """Reads the atoms (DIMACS variables, Z3's integer symbols `k!N`) a model sets to true.

    Calls the Z3 C entry points directly, without the Python wrappers' per-call error check
    and without printing the model: this loop runs once per atom of every model, and through
    the checked API (or `model.sexpr()`, or Z3_model_to_string) it dominated the engine's time.
    A true constant is recognized by identity with Z3's (hash-consed) `true`. The models of
    one solver have the same constants (the same hash-consed declarations), so the first read
    records each declaration's atom and later reads only ask for each one's value; a model
    with another number of constants is read in full.
    """

    def __init__(self) -> None:
        self.decls: list[tuple[int, int]] = []  # (declaration handle, atom)

    def __call__(self, model: z3.ModelRef) -> set[int]:
        ctx = model.ctx.ref().value
        ref = model.model.value
        true = _MK_TRUE(ctx)
        count = _NUM_CONSTS(ctx, ref)
        if count == len(self.decls):
            return {atom for decl, atom in self.decls if _CONST_INTERP(ctx, ref, decl) == true}
        decls: list[tuple[int, int]] = []
        out: set[int] = set()
        for i in range(count):
            decl = _CONST_DECL(ctx, ref, i)
            name = _DECL_NAME(ctx, decl)
            if _SYMBOL_KIND(ctx, name) != z3.Z3_INT_SYMBOL:
                raise MinimalityError("a model constant is not a DIMACS variable")
            atom = _SYMBOL_INT(ctx, name)
            decls.append((decl, atom))
            if _CONST_INTERP(ctx, ref, decl) == true:
                out.add(atom)
        self.decls = decls
        return out


def true_atoms(model: z3.ModelRef) -> set[int]:
    """The atoms a model sets to true (`ModelReader`, read in full)."""
    return ModelReader()(model)


def _check_model(model: set[int], facts: list[int], heads: dict[int, list[int]]) -> None:
    """M must satisfy every fact and clause (`heads`: body -> the heads of its clauses)."""
    for a in facts:
        if a not in model:
            raise MinimalityError(f"fact {a} false in the model")
    for b in model:
        for h in heads.get(b, ()):
            if h not in model:
                raise MinimalityError(f"clause {b} -> {h} violated by the model")


def validity_clauses(cs: ConstraintSystem) -> tuple[list[int], list[tuple[int, int]]]:
    """Stratum 1 (atom e + 1: element e is invalid): the facts (non-fixed elements whose
    traversal was INCOMPLETE) and a clause per unguarded read by a non-fixed element."""
    facts = [e + 1 for e in sorted(cs.incomplete) if e not in cs.fixed]
    clauses = [(edge.source + 1, edge.reader + 1) for edge in cs.edges
               if not edge.guarded and edge.reader not in cs.fixed]
    return facts, clauses


def solve_system(cs: ConstraintSystem, ctx: z3.Context | None = None) -> tuple[set[int],
                                                                               list[int]]:
    """(invalid elements, per-element device bitset) of the least model."""
    ctx = ctx or z3.Context()
    n = len(cs.keys)
    invalid = {a - 1 for a in least_model(ctx, *validity_clauses(cs))}
    # Stratum 2: x, one least model per device over the same clauses (membership of device
    # d only ever flows from d's facts), atom e + 1 for element e; the guarded reads of
    # invalid sources are dropped (stratified negation: `not inv` is a constant here).
    index = {d: k for k, d in enumerate(cs.devices)}
    per_device: list[list[int]] = [[] for _ in cs.devices]
    for e, d in sorted(cs.fixed.items()):
        per_device[index[d]].append(e + 1)
    x_clauses = [(edge.source + 1, edge.reader + 1) for edge in cs.edges
                 if edge.reader not in cs.fixed and not (edge.guarded and edge.source in invalid)]
    return invalid, device_bits(n, least_models(ctx, per_device, x_clauses))


def device_bits(n: int, models: list[set[int]]) -> list[int]:
    """Per element (atom e + 1), the bitset of the devices whose least model holds it."""
    bits = [0] * n
    for k, model in enumerate(models):
        bit = 1 << k
        for atom in model:
            bits[atom - 1] |= bit
    return bits


def solution_of(cs: ConstraintSystem, invalid: set[int], bits: list[int]) -> Solution:
    """The engine's Solution: per element, invalid, or valid with the devices of its bits."""
    # undef (spec 3) is only ever added together with a pessimistic fixpoint: every element
    # that would carry it is in `invalid`, so it is never observable and needs no atom.
    solution = Solution("z3")
    devices = cs.devices
    sets: dict[int, frozenset[str]] = {}  # bitset -> its devices (few distinct bitsets)
    for e, (kind, subject) in enumerate(cs.keys):
        if e in invalid:
            solution.set(kind, subject, State(False))
            continue
        members = sets.get(bits[e])
        if members is None:
            members = sets[bits[e]] = frozenset(
                d for k, d in enumerate(devices) if bits[e] >> k & 1)
        solution.set(kind, subject, State(True, members))
    return solution


def run_z3(module: Module, explorer: Explorer | None = None) -> Solution:
    """Solve a module with the Z3 model; same Solution shape as the fixpoint engine."""
    cs = build_constraints(module, explorer or Explorer(module))
    return solution_of(cs, *solve_system(cs))
