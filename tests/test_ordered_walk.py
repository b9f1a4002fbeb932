"""`OrderedDefiningSummary` answers what the literal walkDefiningOps reports, in its order.

The IREE 3.13 producer rule reads its defining results in the literal walk's order (the solver
bound estimate depends on element creation order), so the memoized summary must give exactly
the literal walk's list of kept results and INCOMPLETE flag, or None (then the rule walks
literally). Checked against `Explorer.walk_defining_ops` itself for every value of generated
modules, the golden cases and the corpus, under both explorers, with the summary warm (values
asked in module order after others were memoized).
"""

from __future__ import annotations

import pytest

from conftest import CORPUS, GOLDEN, split_golden
from placement.diagnostics import PlacementError
from placement.ir.core import Module, OpResult, Value
from placement.ir.explorer import Explorer, OrderedDefiningSummary, Walk
from placement.ir.parser import parse
from placement.iree313.explorer import Explorer313, apply_rows
from placement.ops import Role, info
from placement.testing.generate import generate_module

_TY = "tensor<4xi32>"


def _call_chain(depth: int) -> str:
    """main calls f0, each f_i calls f_{i+1}, the last transfers (benchmarks' `chain` shape)."""
    lines = [f"util.func public @main(%a: {_TY}) -> {_TY} {{",
             f"  %0 = util.call @f0(%a) : ({_TY}) -> {_TY}", f"  util.return %0 : {_TY}", "}"]
    for i in range(depth):
        lines.append(f"util.func private @f{i}(%a: {_TY}) -> {_TY} {{")
        if i + 1 < depth:
            lines.append(f"  %0 = util.call @f{i + 1}(%a) : ({_TY}) -> {_TY}")
        else:
            lines.append(f"  %0 = flow.tensor.transfer %a : {_TY} to #hal.device.promise<@d>")
        lines += [f"  util.return %0 : {_TY}", "}"]
    return "\n".join(lines) + "\n"


def _keep(r: OpResult) -> bool:
    return info(r.owner).role != Role.CALL


def _values(module: Module) -> list[Value]:
    out: list[Value] = []
    for op in module.root.walk():
        for region in op.regions:
            for block in region.blocks:
                out.extend(block.arguments)
        out.extend(op.results)
    return out


def _literal(explorer: Explorer, value: Value) -> tuple[tuple[OpResult, ...], bool]:
    found: list[OpResult] = []

    def on_def(r: OpResult) -> Walk:
        if _keep(r):
            found.append(r)
        return Walk.ADVANCE

    incomplete = explorer.walk_defining_ops(value, on_def, follow_ties=False)
    return tuple(found), incomplete


def _check(text: str, name: str) -> tuple[int, int]:
    """(values answered by the summary, values it declined) over both explorers."""
    answered = declined = 0
    for semantics in ("seed", "iree-3.13"):
        try:
            module = parse(text, name)
        except PlacementError:
            return 0, 0
        if semantics == "seed":
            explorer: Explorer = Explorer(module)
        else:
            apply_rows(module)
            explorer = Explorer313(module)
        summary = OrderedDefiningSummary(explorer, _keep)
        values = _values(module)
        for value in values[::-1] + values:  # cold from the end, then warm
            got = summary(value)
            if got is None:
                declined += 1
                continue
            answered += 1
            items, incomplete = got
            want = _literal(explorer, value)
            assert [id(r) for r in items] == [id(r) for r in want[0]], (name, semantics,
                                                                       value.name)
            assert incomplete == want[1], (name, semantics, value.name)
    return answered, declined


@pytest.mark.parametrize("seed", range(60))
def test_summary_is_the_literal_walk_on_generated_modules(seed: int) -> None:
    answered, _ = _check(generate_module(seed, n_ops=80, n_devices=3), f"gen{seed}")
    assert answered > 0


def test_summary_is_the_literal_walk_on_goldens_and_corpus() -> None:
    answered = 0
    for case in split_golden(GOLDEN / "annotate_affinities.mlir"):
        answered += _check(case, "golden")[0]
    for path in sorted(CORPUS.glob("**/*.mlir")):
        answered += _check(path.read_text(), str(path))[0]
    assert answered > 1000


def test_summary_answers_a_call_chain_without_declining() -> None:
    answered, declined = _check(_call_chain(200), "chain")
    assert declined == 0 and answered > 0
