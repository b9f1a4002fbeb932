"""`placement whatif`: each shipped scenario's key figures, derived by hand from the base module
(the derivations are in the comments), the edited module checked by iree-opt and re-solved, and
bad scenario files as located errors.

Sizes used below (f32 = 4 bytes), from `scenarios/whatif_base/mlp_pipeline_2dev.mlir`:
@w1 64x128 = 32768, @b1 128 = 512, @w2 128x32 = 16384, @b2 32 = 128; %0 (input) 8x64 = 2048,
%1/%2 8x128 = 4096, %3/%4 8x32 = 1024. Memory per device = the globals stored there + the
largest working set (tensor operands + results, loaded globals excluded) of an op placed
there (docs/place.md): dispatch_0 2048 + 4096 = 6144, transfer %2 4096 + 4096 = 8192,
dispatch_1 4096 + 1024 = 5120, transfer %4 1024 + 1024 = 2048.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from placement.annotate import solve_module
from placement.cli import run
from placement.ir import load
from placement.solution import Kind
from placement.whatif.analysis import make_item
from placement.whatif.run import run_file

ROOT = Path(__file__).resolve().parent.parent
SC = ROOT / "scenarios"


def _doc(name: str) -> dict[str, Any]:
    return run_file(SC / f"{name}.toml").doc


def _moves(doc: dict[str, Any]) -> dict[str, tuple[list[str] | None, list[str] | None]]:
    return {i["key"]: ((i["old"] or {}).get("devices"), (i["new"] or {}).get("devices"))
            for i in doc["items"]}


def _links(doc: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(r["from"], r["to"]): r["bytes"] for r in doc["links"]["after"]}


def _memory(doc: dict[str, Any]) -> dict[str, int]:
    return {r["device"]: r["bytes"] for r in doc["memory"]["after"]}


A, B, C = "@device_a", "@device_b", "@device_c"


def test_mlp_third_device() -> None:
    doc = _doc("whatif_mlp_third_device")
    # Changed: the transfer %2 (64:5) and layer 2's dispatch %3 (65:5) go b -> c, and the
    # pinned @w2 and @b2 with them; dispatch_0 (63:5) and %4 (66:5) stay on a.
    assert _moves(doc) == {"@w2": ([B], [C]), "@b2": ([B], [C]), "64:5": ([B], [C]),
                           "65:5": ([B], [C])}
    assert doc["summary"]["changed_ops"] == 2
    # %1 (4096) crosses a -> c into the transfer; %3 (1024) c -> a into the transfer %4.
    assert _links(doc) == {(A, C): 4096, (C, A): 1024}
    # a: w1 + b1 + dispatch_0's 6144 = 39424; c: w2 + b2 + transfer %2's 8192 = 24704.
    assert _memory(doc) == {A: 39424, B: 0, C: 24704}


def test_mlp_replicate_weights() -> None:
    doc = _doc("whatif_mlp_replicate_weights")
    # Layer 2 and its transfer move to a; @w2/@b2 (pinned b) keep serving b and get copies on
    # a, filled as IREE's replicate pass does: an initializer loads the original, transfers it
    # to a (new transfer ops, located at the original global: 6:3 for @w2, 7:3 for @b2) and
    # stores the copy; layer 2 reads the copies.
    assert doc["replicas"] == {"@w2": ["@w2_device_a"], "@b2": ["@b2_device_a"]}
    assert _moves(doc) == {"64:5": ([B], [A]), "65:5": ([B], [A]),
                           "@w2_device_a": (None, [A]), "@b2_device_a": (None, [A]),
                           "6:3": (None, [A]), "7:3": (None, [A])}
    # Only the initial copies cross a link: w2 16384 + b2 128 = 16512 b -> a.
    assert _links(doc) == {(B, A): 16384 + 128}
    # a: w1 32768 + b1 512 + the copies 16384 + 128 = 49792, plus the largest working set of
    # an op on a: the @w2 copy's transfer, 16384 (its operand is a loaded global, not
    # counted) > transfer %2's 8192; b keeps w2 + b2 = 16512 and runs no op.
    assert _memory(doc) == {A: 49792 + 16384, B: 16512}


def test_mlp_place_budget() -> None:
    doc = _doc("whatif_mlp_place_budget")
    # a is 36864; it stores w1 + b1 = 33280, so only the 2048 of transfer %4 fits beside it:
    # dispatch_0 must leave a. On b, %1 feeds the transfer %2 (already on b) for free; it
    # receives %0 2048 + w1 32768 + b1 512 = 35328 from a; %3 -> %4 stays 1024 b -> a.
    assert _moves(doc) == {"63:5": ([A], [B])}
    assert _links(doc) == {(A, B): 35328, (B, A): 1024}
    assert _memory(doc)[A] == 33280 + 2048
    assert doc["placed"]["status"] == "OPTIMAL"
    assert doc["placed"]["cost"] == doc["placed"]["lower_bound"] == 35328 + 1024


def test_mlp_remove_device() -> None:
    doc = _doc("whatif_mlp_remove_device")
    # Everything on a: no link; a holds all four weights + the 8192 of transfer %2 = 57984.
    assert _moves(doc) == {"@w2": ([B], [A]), "@b2": ([B], [A]), "64:5": ([B], [A]),
                           "65:5": ([B], [A])}
    assert _links(doc) == {}
    assert _memory(doc) == {A: 32768 + 512 + 16384 + 128 + 8192}
    assert doc["devices"]["after"] == [A]


def test_kv_cache_move() -> None:
    doc = _doc("whatif_kv_cache_move")
    # k/v caches (16x32 f32 = 2048 each) move b -> a; the cache updates (%5 at 124:5 and %7 at
    # 126:5) read the cache (now a) and the b-side projections, so they become [a, b].
    moves = _moves(doc)
    assert moves["@k_cache"] == ([B], [A]) and moves["@v_cache"] == ([B], [A])
    assert moves["124:5"] == ([B], [A, B]) and moves["126:5"] == ([B], [A, B])
    before = {r["device"]: r["bytes"] for r in doc["memory"]["before"]}
    assert before[B] - _memory(doc)[B] >= 2 * 2048


def test_attention_default_changes_nothing_pinned() -> None:
    doc = _doc("whatif_attention_default")
    # Every op of attention_tp4 derives from a pinned weight or the pinned import: no set
    # is empty, so the default never applies and nothing moves; only the default does.
    assert doc["items"] == []
    assert doc["iree"]["default_after"] == "#hal.device.affinity<@device_1>"
    assert doc["iree"]["default_before"] == "#hal.device.affinity<@device_0>"


def _iree_ok(iree_opt: str, text: str) -> None:
    done = subprocess.run([iree_opt, "-"], input=text, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", sorted(p.stem for p in SC.glob("whatif_*.toml")))
def test_mlir_output_is_accepted_and_resolves_op_by_op(name: str, iree_opt: str) -> None:
    """`placement solve` of the printed module gives, for every op and global, exactly the
    new set and status whatif reported for it. Ops are matched by position: the printed
    module is the edited IR, so its walk order is the edited module's."""
    outcome = run_file(SC / f"{name}.toml", mlir=True)
    assert outcome.mlir is not None
    _iree_ok(iree_opt, outcome.mlir)
    printed = load(outcome.mlir)
    edited_ops = list(outcome.module.root.walk())
    printed_ops = list(printed.root.walk())
    assert [op.name for op in edited_ops] == [op.name for op in printed_ops]
    position = {id(op): k for k, op in enumerate(edited_ops)}
    solution = solve_module(printed)
    items = outcome.new.items
    assert items
    for key, item in items.items():
        twin = printed_ops[position[id(item.subject)]]
        again = make_item(printed, solution, twin, Kind.G if item.kind == "global" else Kind.O)
        assert (again.status, again.devices) == (item.status, item.devices), key
    for entry in outcome.doc["items"]:
        if entry["new"] is not None:
            it = items[entry["key"]]
            assert entry["new"] == {"status": it.status, "devices": it.devices,
                                    "iree": it.iree}, entry["key"]


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "bad.toml"
    base = (SC / "whatif_base" / "mlp_pipeline_2dev.mlir").as_posix()
    kv = (SC / "whatif_base" / "kv_cache_2dev.mlir").as_posix()
    p.write_text(body.replace("BASE", base).replace("KV", kv))
    return p


@pytest.mark.parametrize(("body", "line", "message"), [
    ('base = "BASE"\nbogus = 1\n', 2, "unknown key 'bogus'"),
    ('base = "nowhere.mlir"\n', 1, "base module not found"),
    ('base = "BASE"\n[[edit]]\nkind = "pin"\nop = "%3"\ndevice = "@device_z"\n', 5,
     "unknown device @device_z"),
    ('base = "BASE"\n[[edit]]\nkind = "pin"\nop = "%nope"\ndevice = "@device_a"\n', 4,
     "no op defines %nope"),
    ('base = "BASE"\n[[edit]]\nkind = "remove_device"\nname = "@device_b"\n', 4,
     "@device_b is removed but"),
    ('base = "BASE"\n[[edit]\n', 2, "invalid TOML"),
    ('base = "KV"\n[[edit]]\nkind = "replicate_global"\nglobal = "@k_cache"\n', 4,
     "cannot replicate @k_cache: it is mutable"),
])
def test_bad_scenarios_are_located_errors(tmp_path: Path, body: str, line: int, message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, body)
    out = tmp_path / "out.json"
    assert run(["whatif", str(path), "-f", "json", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}:" in err
    assert message in err and "^" in err
    assert not out.exists()


def test_batch_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [SC / "whatif_mlp_third_device.toml", SC / "whatif_mlp_remove_device.toml"]
    assert run(["whatif", *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert "whatif_mlp_third_device" in out and "whatif_mlp_remove_device" in out


def test_add_device_scenario_compiles_and_runs_bit_identical(tmp_path: Path) -> None:
    """The third-device scenario's module compiles from flow and runs on one more
    `--device=local-task` (the `_run` helper counts the device globals), outputs equal to the
    base's (oracle extra)."""
    from test_place_e2e import _run, compile_and_run_tools

    compile_, run_ = compile_and_run_tools()
    outcome = run_file(SC / "whatif_mlp_third_device.toml", mlir=True)
    edited = outcome.mlir or ""
    base = outcome.scenario.base.read_text()
    assert edited.count("#hal.device.target") == base.count("#hal.device.target") + 1
    for name, text in (("base", base), ("edited", edited)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "m.mlir").write_text(text)
    want = _run((compile_, run_), tmp_path / "base" / "m.mlir", base, tmp_path / "base")
    got = _run((compile_, run_), tmp_path / "edited" / "m.mlir", edited, tmp_path / "edited")
    assert got == want


# ---------------------------------------------------------------------------- edit kinds
# On the MLP base (sizes above): the import %0 (62:5) and the export %5 (67:5) are `on(a)`;
# dispatch_0 (63:5) reads the import, @w1, @b1 (all a) -> [a]; the transfer %2 (64:5) is to
# b, dispatch_1 (65:5) reads it and @w2, @b2 (b) -> [b]; the transfer %4 (66:5) is to a.
# Base links under IREE's rule: %1 (4096) a -> b into the transfer %2, %3 (1024) b -> a into
# the transfer %4. Base memory: a = 33280 + 6144 = 39424, b = 16512 + 8192 = 24704.
BASE_LINKS = {(A, B): 4096, (B, A): 1024}


def _scenario(tmp_path: Path, name: str, edits: str) -> Path:
    p = tmp_path / f"{name}.toml"
    base = (SC / "whatif_base" / "mlp_pipeline_2dev.mlir").as_posix()
    p.write_text(f'base = "{base}"\n{edits}')
    return p


def _check_input_on_b(doc: dict[str, Any]) -> None:
    # The import is now on(b): P(%0) is pinned to b by it, so dispatch_0 reads b (%0) and a
    # (@w1, @b1): [a, b], ambiguous; IREE takes the lead a (byte order), so %0 (2048 bytes)
    # crosses b -> a. The HAL ops need no affinity (not items); memory is unchanged.
    assert _moves(doc) == {"63:5": ([A], [A, B])}
    assert doc["status"] == "AMBIGUOUS"
    assert _links(doc) == {(A, B): 4096, (B, A): 1024 + 2048}
    assert _memory(doc) == {A: 39424, B: 24704}


def test_argument_pin_moves_the_import(tmp_path: Path) -> None:
    p = _scenario(tmp_path, "arg", '[[edit]]\nkind = "pin"\nargument = "@mlp:0"\n'
                  'device = "@device_b"\n')
    outcome = run_file(p, mlir=True)
    assert outcome.mlir is not None
    assert 'hal.tensor.import on(#hal.device.affinity<@device_b>) %arg0 "input0"' in outcome.mlir
    _check_input_on_b(outcome.doc)


def test_hal_pin_by_name_is_the_same_edit(tmp_path: Path) -> None:
    p = _scenario(tmp_path, "hal", '[[edit]]\nkind = "pin"\nhal = "input0"\n'
                  'device = "@device_b"\n')
    _check_input_on_b(run_file(p).doc)


def test_result_pin_moves_the_export(tmp_path: Path) -> None:
    # The export is now on(b): no item reads it (the transfer %4 is fixed to a, the export
    # needs no affinity), so no set changes; %4 (1024 bytes) now crosses a -> b to it.
    p = _scenario(tmp_path, "res", '[[edit]]\nkind = "pin"\nresult = "@mlp:0"\n'
                  'device = "@device_b"\n')
    doc = run_file(p).doc
    assert doc["items"] == []
    assert _links(doc) == {(A, B): 4096 + 1024, (B, A): 1024}


UNPIN_W2 = ('[[edit]]\nkind = "unpin"\nglobal = "@w2"\n'
            '[[edit]]\nkind = "pin"\nop = "%3"\ndevice = "@device_a"\n')


def _check_unpin_w2(doc: dict[str, Any]) -> None:
    # dispatch_1 pinned to a; @w2 unpinned reads where its load is used (guarded C(%w2) =
    # O(dispatch_1) = a): @w2 b -> a; @b2 keeps its pin (b). On a, dispatch_1 receives %2
    # (4096, from the transfer on b) and @b2 (128): b -> a 4096 + 128; %1 still a -> b 4096.
    # a: w1 32768 + b1 512 + w2 16384 + the largest working set there (dispatch_0's 6144)
    # = 55808; b: b2 128 + transfer %2's 8192 = 8320.
    assert _moves(doc) == {"@w2": ([B], [A]), "65:5": ([B], [A])}
    assert _links(doc) == {(A, B): 4096, (B, A): 4096 + 128}
    assert _memory(doc) == {A: 55808, B: 8320}


def test_unpin_global(tmp_path: Path) -> None:
    _check_unpin_w2(run_file(_scenario(tmp_path, "unpin", UNPIN_W2)).doc)


FUNCTION_PIN = '[[edit]]\nkind = "pin"\nfunction = "@mlp"\ndevice = "@device_b"\n'


def _check_function_pin(doc: dict[str, Any]) -> None:
    # stream.affinity on @mlp: every op in it without an own affinity is b (dispatch_0 a ->
    # b; dispatch_1 stays b; the transfers and HAL ops keep theirs). dispatch_0 on b
    # receives %0 2048 + @w1 32768 + @b1 512 = 35328 from a; %3 1024 b -> a as before.
    # a: 33280 + transfer %4's 2048 = 35328; b: 16512 + 8192 = 24704.
    assert _moves(doc) == {"63:5": ([A], [B])}
    assert _links(doc) == {(A, B): 35328, (B, A): 1024}
    assert _memory(doc) == {A: 35328, B: 24704}


def test_function_pin_pins_all_its_ops(tmp_path: Path) -> None:
    _check_function_pin(run_file(_scenario(tmp_path, "func", FUNCTION_PIN)).doc)


def test_jobs_runs_scenarios_in_processes(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import json

    files = [_scenario(tmp_path, "a_unpin", UNPIN_W2), _scenario(tmp_path, "b_func",
                                                                 FUNCTION_PIN)]
    assert run(["whatif", *map(str, files), "--jobs", "2", "-f", "json"]) == 0
    docs = json.loads(capsys.readouterr().out)["scenarios"]
    assert [d["name"] for d in docs] == ["a_unpin", "b_func"]  # input order
    _check_unpin_w2(docs[0])
    _check_function_pin(docs[1])


LINKS = ('[[edit]]\nkind = "add_device"\nname = "@device_c"\ncopy = "@device_b"\n'
         'links = [{from = "@device_a", weight = 4}, {to = "@device_a", weight = 2}]\n'
         '[[edit]]\nkind = "pin"\nop = "%3"\ndevice = "@device_c"\n')


def test_add_device_links_are_written_as_topology(tmp_path: Path, iree_opt: str) -> None:
    from placement.whatif import topology

    outcome = run_file(_scenario(tmp_path, "links", LINKS), mlir=True)
    assert outcome.mlir is not None
    _iree_ok(iree_opt, outcome.mlir)
    written = topology.links(load(outcome.mlir))
    assert [(x.source, x.target, x.flags, x.extra) for x in written] == [
        ("device_a", "device_c", "", "placement.weight = 4 : i64"),
        ("device_c", "device_a", "", "placement.weight = 2 : i64")]
    # dispatch_1 pinned to c reads %2 (4096, the transfer stays to b) and @w2 16384 + @b2 128
    # (pinned b): 20608 b -> c at weight 1 (no link given); %3 (1024) c -> a at weight 2;
    # %1 4096 a -> b at weight 1: cost 4096 + 20608 + 2 * 1024 = 26752.
    doc = outcome.doc
    assert _links(doc) == {(A, B): 4096, (B, C): 20608, (C, A): 1024}
    assert doc["cost"]["after"]["cost"] == 4096 + 20608 + 2 * 1024


def test_topology_merges_with_the_modules_and_drops_removed_devices(tmp_path: Path,
                                                                    iree_opt: str) -> None:
    from placement.whatif import topology

    text = (SC / "whatif_base" / "mlp_pipeline_2dev.mlir").read_text()
    head = "module attributes {"
    text = text.replace(head, head + "stream.topology = #hal.device.topology<links = ["
                        "(@device_a -> @device_b = {unified_memory = true}), "
                        "(@device_b -> @device_a = {})]>, ", 1)
    (tmp_path / "topo.mlir").write_text(text)
    p = tmp_path / "s.toml"
    # a weight on the existing a -> b link (its flag kept); a new device c linked from b,
    # then @device_b removed (its pins re-targeted to a): every link naming b goes.
    p.write_text('base = "topo.mlir"\n'
                 '[[edit]]\nkind = "add_device"\nname = "@device_c"\ncopy = "@device_b"\n'
                 'links = [{from = "@device_a", to = "@device_b", weight = 5}, '
                 '{from = "@device_a", weight = 3}]\n'
                 '[[edit]]\nkind = "retarget_transfer"\nop = "%2"\ndevice = "@device_a"\n'
                 + "".join(f'[[edit]]\nkind = "pin"\nglobal = "{g}"\ndevice = "@device_a"\n'
                           for g in ("@w2", "@b2"))
                 + '[[edit]]\nkind = "remove_device"\nname = "@device_b"\n')
    outcome = run_file(p, mlir=True)
    assert outcome.mlir is not None
    _iree_ok(iree_opt, outcome.mlir)
    written = topology.links(load(outcome.mlir))
    assert [(x.source, x.target, x.flags, x.extra) for x in written] == [
        ("device_a", "device_c", "", "placement.weight = 3 : i64")]
    # without the removal, the a -> b link keeps its flag and gets the weight
    keep = tmp_path / "keep.toml"
    keep.write_text(p.read_text().split('[[edit]]\nkind = "retarget_transfer"')[0])
    outcome = run_file(keep, mlir=True)
    assert outcome.mlir is not None
    _iree_ok(iree_opt, outcome.mlir)
    written = topology.links(load(outcome.mlir))
    assert [(x.source, x.target, x.flags, x.extra) for x in written] == [
        ("device_a", "device_b", "unified_memory = true", "placement.weight = 5 : i64"),
        ("device_b", "device_a", "", ""),
        ("device_a", "device_c", "", "placement.weight = 3 : i64")]
