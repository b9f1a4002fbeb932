"""The Z3 engine: the least model of the monotone Horn clauses of spec 11, proved minimal.

Per module, two strata (spec 6.1), each a set of propositional definite Horn clauses:

* stratum 1, validity: `inv[e]` for every non-fixed element whose traversal was INCOMPLETE,
  and `inv[f] -> inv[e]` for every unguarded read of `f` by `e`;
* stratum 2, membership: `x[e,d]` for every fixed `e` and its explicit `d`, `x[f,d] -> x[e,d]`
  for every unguarded read, and for every guarded read whose source is valid (stratum 1's
  answer is a constant here: stratified negation).

Each stratum is solved by Z3's SAT solver (`QF_FD`), then the candidate model M is proved to be
the *least* model: Z3 must answer unsat to "the clauses, every atom false in M stays false, and
some atom true in M is false". Definite Horn clauses have a unique minimal model (the least
one), so that unsat is a proof that M is it. If Z3 answers sat (a self-supporting cycle was
made true), the smaller model it returns replaces M and the proof is retried; each retry
strictly shrinks M, so this terminates. See docs/z3-model.md.
"""

from __future__ import annotations

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
    (`-b h 0` for `b -> h`; Z3's variable `k!a` is atom a), and each fact set is solved in its
    own push/pop scope (`a 0` per fact), so independent problems over the same clauses (the
    devices of stratum 2) share the clause database instead of each getting a copy.
    """
    out: list[set[int]] = [set() for _ in fact_sets]
    if not any(fact_sets):
        return out  # with no facts the empty set is a model, and trivially the least one
    # Atoms no fact or clause mentions are false in every least model; Z3 never sees them.
    mentioned = {a for facts in fact_sets for a in facts}
    for b, h in clauses:
        mentioned.add(b)
        mentioned.add(h)
    top = max(mentioned)
    solver = z3.SolverFor("QF_FD", ctx=ctx)
    # Decide every atom false first: the first model is then the least one, and it stays so
    # in later scopes (phase saving would otherwise carry one device's true atoms over).
    solver.set("sat.phase", "always_false")
    if clauses:
        solver.from_string(f"p cnf {top} {len(clauses)}\n"
                           + "\n".join([f"-{b} {h} 0" for b, h in clauses]))
    atoms = sorted(mentioned)
    for i, facts in enumerate(fact_sets):
        if facts:
            solver.push()
            solver.from_string(f"p cnf {top} {len(facts)}\n"
                               + "\n".join([f"{a} 0" for a in facts]))
            out[i] = _prove_least(solver, top, atoms, facts, clauses)
            solver.pop()
    return out


def _prove_least(solver: z3.Solver, top: int, atoms: list[int], facts: list[int],
                 clauses: list[tuple[int, int]]) -> set[int]:
    """Z3's model of the asserted clauses and facts, shrunk until Z3 proves it least."""
    if solver.check() != z3.sat:
        raise MinimalityError("definite Horn clauses reported unsatisfiable")
    model = _true_atoms(solver.model())
    while True:
        _check_model(model, facts, clauses)
        solver.push()
        below = [f"-{a} 0" for a in atoms if a not in model]
        below.append(" ".join([f"-{a}" for a in sorted(model)]) + " 0")
        solver.from_string(f"p cnf {top} {len(below)}\n" + "\n".join(below))
        answer = solver.check()
        if answer == z3.unsat:
            solver.pop()
            return model  # proved: no model strictly below M
        smaller = _true_atoms(solver.model()) & model
        solver.pop()
        if not smaller < model:
            raise MinimalityError("minimality check did not shrink the model")
        model = smaller


def _raw(fn: Any) -> Any:
    """The unchecked C entry point behind a z3core wrapper (the wrapper itself if hidden)."""
    defaults = getattr(fn, "__defaults__", None) or ()
    return getattr(defaults[-1], "f", fn) if defaults else fn


_NUM_CONSTS = _raw(z3core.Z3_model_get_num_consts)
_CONST_DECL = _raw(z3core.Z3_model_get_const_decl)
_CONST_INTERP = _raw(z3core.Z3_model_get_const_interp)
_BOOL_VALUE = _raw(z3core.Z3_get_bool_value)
_DECL_NAME = _raw(z3core.Z3_get_decl_name)
_SYMBOL_STRING = _raw(z3core.Z3_get_symbol_string)


def _true_atoms(model: z3.ModelRef) -> set[int]:
    """The atoms (DIMACS variables `k!N`) a model sets to true.

    Calls the Z3 C entry points without the Python wrappers' per-call error check and without
    printing the model: this loop runs once per atom, and through the checked API (or
    `model.sexpr()`) it dominated the engine's time.
    """
    ctx, ref = model.ctx.ref(), model.model
    true = z3.Z3_L_TRUE
    out: set[int] = set()
    for i in range(_NUM_CONSTS(ctx, ref)):
        decl = _CONST_DECL(ctx, ref, i)
        if _BOOL_VALUE(ctx, _CONST_INTERP(ctx, ref, decl)) == true:
            name = _SYMBOL_STRING(ctx, _DECL_NAME(ctx, decl))
            text = name.decode() if isinstance(name, bytes) else str(name)
            out.add(int(text.removeprefix("k!")))  # DIMACS variables are int symbols N
    return out


def _check_model(model: set[int], facts: list[int], clauses: list[tuple[int, int]]) -> None:
    """M must satisfy every fact and clause (atoms missing from Z3's model count as false)."""
    for a in facts:
        if a not in model:
            raise MinimalityError(f"fact {a} false in the model")
    for b, h in clauses:
        if b in model and h not in model:
            raise MinimalityError(f"clause {b} -> {h} violated by the model")


def solve_system(cs: ConstraintSystem, ctx: z3.Context | None = None) -> tuple[set[int],
                                                                               list[int]]:
    """(invalid elements, per-element device bitset) of the least model."""
    ctx = ctx or z3.Context()
    n = len(cs.keys)
    # Stratum 1: inv, atom e + 1 for element e.
    inv_facts = [e + 1 for e in sorted(cs.incomplete) if e not in cs.fixed]
    inv_clauses = [(edge.source + 1, edge.reader + 1) for edge in cs.edges
                   if not edge.guarded and edge.reader not in cs.fixed]
    invalid = {a - 1 for a in least_model(ctx, inv_facts, inv_clauses)}
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


def run_z3(module: Module, explorer: Explorer | None = None) -> Solution:
    """Solve a module with the Z3 model; same Solution shape as the fixpoint engine."""
    cs = build_constraints(module, explorer or Explorer(module))
    invalid, bits = solve_system(cs)
    # undef (spec 3) is only ever added together with a pessimistic fixpoint: every element
    # that would carry it is in `invalid`, so it is never observable and needs no atom.
    solution = Solution("z3")
    devices = cs.devices
    for e, (kind, subject) in enumerate(cs.keys):
        if e in invalid:
            solution.set(kind, subject, State(False))
        else:
            members = frozenset(d for k, d in enumerate(devices) if bits[e] >> k & 1)
            solution.set(kind, subject, State(True, members))
    return solution
