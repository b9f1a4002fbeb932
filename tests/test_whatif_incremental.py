"""The incremental re-solve (`placement.whatif.incremental`) against a full re-solve.

Proof by comparison, not by snapshot: on every shipped scenario and on random pin, unpin,
function-pin, retarget and default edits over generated modules (with and without a module
pin, HAL ops included), the report of the incremental path (shared base IR, journalled edits,
region re-solve) equals the report of a fresh parse and a full fixpoint, byte for byte, and so
does the printed `-f mlir` module; every element state the annotation prints is equal too.
Several scenarios run one after the other on one shared base, so the undo is exercised: after
them the base prints as its source again.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from placement import ops as optable
from placement.annotate import compute_annotations, solve_module
from placement.ir import load
from placement.ir.core import Module, Operation
from placement.ir.explorer import symbol_name
from placement.ir.printer import print_ir
from placement.ops import Role
from placement.testing.generate import generate_module
from placement.whatif.edits import apply_edits, functions
from placement.whatif.incremental import resolve, shared_base
from placement.whatif.journal import Journal
from placement.whatif.run import _SHARED, incremental_ok, run_file
from placement.whatif.schema import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SC = ROOT / "scenarios"


@pytest.mark.parametrize("path", sorted(SC.glob("whatif_*.toml")), ids=lambda p: p.stem)
def test_shipped_scenarios_incremental_equals_full(path: Path) -> None:
    a = run_file(path, mlir=True)
    b = run_file(path, mlir=True, incremental=False)
    assert a.incremental == incremental_ok(load_scenario(path))
    assert a.doc == b.doc
    assert a.mlir == b.mlir


def _devices(module: Module) -> list[str]:
    import re

    found = re.findall(r"#hal\.device\.(?:affinity|promise)<(@[\w$.\-]+)", module.source)
    return sorted(set(found))


def _targets(module: Module) -> tuple[list[Operation], list[Operation], list[Operation]]:
    """Affinity-aware ops inside functions (not functions), transfers, tensor globals."""
    ops, transfers, globals_ = [], [], []
    for top in module.top_level_ops():
        row = optable.info(top)
        if row.role == Role.GLOBAL and top.syntax_attrs.get("type", "").startswith("tensor<"):
            globals_.append(top)
        elif row.role == Role.FUNCTION:
            for x in top.walk():
                xrow = optable.info(x)
                if x is top or not xrow.affinity_aware or xrow.role == Role.FUNCTION:
                    continue
                own = [a for a in xrow.affinity_attrs or () if a in x.syntax_attrs]
                if own and not xrow.pins:
                    transfers.append(x)
                elif not own:
                    ops.append(x)
    return ops, transfers, globals_


def _random_scenario(rng: random.Random, module: Module, base: Path) -> str:
    devices = _devices(module)
    ops, transfers, globals_ = _targets(module)
    funcs = [f for f in functions(module) if f.regions and symbol_name(f)]
    lines = [f'base = "{base.as_posix()}"']
    for _ in range(rng.randint(1, 4)):
        dev = rng.choice(devices)
        kind = rng.choice(["pin_op", "pin_op", "unpin_op", "pin_global", "unpin_global",
                           "pin_function", "retarget", "default", "default_function"])
        if kind in ("pin_op", "unpin_op") and ops:
            op = rng.choice(ops)
            where = f'op = "{op.loc.line}:{op.loc.col}"'
            lines += ["[[edit]]", f'kind = "{kind[:-3]}"', where]
            if kind == "pin_op":
                lines.append(f'device = "{dev}"')
        elif kind in ("pin_global", "unpin_global") and globals_:
            g = rng.choice(globals_)
            lines += ["[[edit]]", f'kind = "{kind[:-7]}"', f'global = "{symbol_name(g)}"']
            if kind == "pin_global":
                lines.append(f'device = "{dev}"')
        elif kind == "pin_function" and funcs:
            f = rng.choice(funcs)
            lines += ["[[edit]]", 'kind = "pin"', f'function = "{symbol_name(f)}"',
                      f'device = "{dev}"']
        elif kind == "retarget" and transfers:
            t = rng.choice(transfers)
            lines += ["[[edit]]", 'kind = "retarget_transfer"',
                      f'op = "{t.loc.line}:{t.loc.col}"', f'device = "{dev}"']
        elif kind == "default_function" and funcs:
            f = rng.choice(funcs)
            lines += ["[[edit]]", 'kind = "set_default"', f'function = "{symbol_name(f)}"',
                      f'device = "{dev}"']
        else:
            lines += ["[[edit]]", 'kind = "set_default"', f'device = "{dev}"']
    if rng.random() < 0.5:
        lines += ["[[edit]]", 'kind = "budget"', f'device = "{rng.choice(devices)}"',
                  f"bytes = {rng.randint(0, 64)}"]
    return "\n".join(lines) + "\n"


def _annotations(module: Module, solution: object) -> list[tuple[int, dict[str, str]]]:
    return [(id(a.op), a.attributes()) for a in compute_annotations(module, solution)]  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_incremental_equals_full(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    text = generate_module(seed, n_ops=70, n_devices=3)
    base = tmp_path / "base.mlir"
    base.write_text(text)
    module = load(text, str(base))
    ran = 0
    for k in range(4):
        path = tmp_path / f"s{k}.toml"
        path.write_text(_random_scenario(rng, module, base))
        a = run_file(path, mlir=True)
        b = run_file(path, mlir=True, incremental=False)
        assert a.doc == b.doc, path.read_text()
        assert a.mlir == b.mlir, path.read_text()
        ran += a.incremental
    # the shared base is the base again after the scenarios (undo)
    shared = next(s for key, s in _SHARED.items() if key[0] == str(base.resolve()))
    assert print_ir(shared.module) == print_ir(load(text, str(base)))
    assert ran >= 1


@pytest.mark.parametrize("seed", range(40, 70))
def test_random_edits_every_printed_state_equal(tmp_path: Path, seed: int) -> None:
    """Below the report: every annotation (ops, operands, results, globals) from the
    incremental solution equals the full solve of the edited module."""
    rng = random.Random(seed)
    text = generate_module(seed, n_ops=70, n_devices=3)
    base = tmp_path / "base.mlir"
    base.write_text(text)
    module = load(text, str(base))
    shared = shared_base(module)
    for k in range(4):
        path = tmp_path / f"s{k}.toml"
        path.write_text(_random_scenario(rng, module, base))
        scenario = load_scenario(path)
        journal = Journal(module)
        try:
            apply_edits(scenario, module, journal)
            got = resolve(shared, journal)
            if got is not None:
                want = solve_module(module)
                assert _annotations(module, got.solution) == _annotations(module, want), \
                    path.read_text()
        finally:
            journal.undo()


def test_a_failing_scenario_leaves_the_shared_base_unchanged(tmp_path: Path) -> None:
    from placement.diagnostics import PlacementError

    base = (SC / "whatif_base" / "mlp_pipeline_2dev.mlir").as_posix()
    bad = tmp_path / "bad.toml"
    # the first edit is applied to the shared IR, the second fails: the first must be undone
    bad.write_text(f'base = "{base}"\n[[edit]]\nkind = "pin"\nop = "%3"\ndevice = "@device_a"\n'
                   '[[edit]]\nkind = "pin"\nop = "%nope"\ndevice = "@device_a"\n')
    with pytest.raises(PlacementError):
        run_file(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text(f'base = "{base}"\n')
    outcome = run_file(empty, mlir=True)
    assert outcome.incremental
    assert outcome.doc["items"] == []
    assert outcome.mlir == print_ir(load(Path(base).read_text(), base))
