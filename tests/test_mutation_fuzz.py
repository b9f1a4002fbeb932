"""Mutation fuzzing (issue 7): bad input gives located diagnostics, never an internal error.

2,000 seeded mutants of the goldens and corpus (`placement.testing.mutate`, every class over
every input) go through parse + verify + solve + print in-process, and through the CLI: each
one is accepted, or rejected with a located `file:line:col: error:` diagnostic, its source line
and a caret, and exit code 2; never a traceback, an internal error or a hang. With iree-opt,
every mutant iree-opt accepts must be accepted too, and every one it rejects for a reason our
parser/verifier covers (outside executable bodies kept verbatim) must be rejected too
(`benchmarks/fuzz_agreement.py` prints the full agreement table).

CI: `N_MUTANTS` mutants, the first `N_ORACLE` of them through iree-opt; `pytest -m slow`:
`N_MUTANTS_SLOW`, all through iree-opt.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from fuzz_support import INPUTS, known_failures

from conftest import run_cli
from placement.testing.agreement import ACCEPTED, REJECTED, in_opaque_body, iree_reason, our_verdict
from placement.testing.iree_batch import run_batch
from placement.testing.mutate import KINDS, Mutant, mutant_set

N_MUTANTS = 2000
N_ORACLE = 300
N_MUTANTS_SLOW = 10000
_DIAGNOSTIC = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+): error: [^\n]+\n"
                         r"(?P<src>[^\n]*)\n(?P<caret> *\^)", re.MULTILINE)


@functools.cache
def _mutants(count: int) -> list[tuple[str, Mutant]]:
    return mutant_set(INPUTS, count)


def _of_kind(kind: str, count: int) -> list[tuple[str, Mutant]]:
    return [(n, m) for n, m in _mutants(count) if m.kind == kind]


def _in_comment(m: Mutant) -> bool:
    """Whether an encoding mutant's bytes (not UTF-8) went inside a `//` comment of a valid
    input (then the CLI accepts them, as iree-opt does; elsewhere they are a located error)."""
    if m.offset is None:
        return False
    line = m.data[m.data.rfind(b"\n", 0, m.offset) + 1:m.offset]
    return b"//" in line and b'"' not in line


def _cli_problem(mutant: Mutant, tmp_path: Path, accepted: bool) -> str | None:
    """What is wrong with the CLI's handling of a mutant (None: nothing)."""
    path = tmp_path / "mutant.mlir"
    path.write_bytes(mutant.data)
    result = run_cli("solve", str(path))
    if "Traceback" in result.stderr or "internal error" in result.stderr:
        return f"internal error: {result.stderr.strip()[-300:]}"
    if accepted:
        return None if result.code == 0 else f"exit {result.code}: {result.stderr[:300]}"
    if result.code != 2:
        return f"exit {result.code} (expected 2): {result.stderr[:300]}"
    m = _DIAGNOSTIC.search(result.stderr)
    if m is None or m.group("file") != str(path):
        return f"no located diagnostic with source line and caret: {result.stderr[:300]!r}"
    return None


def _check_no_internal_errors(kind: str, count: int, tmp_path: Path) -> None:
    mutants = _of_kind(kind, count)
    assert len(mutants) >= count // len(KINDS)
    problems: list[str] = []
    statuses = set()
    for name, m in mutants:
        if m.text is not None:
            ours = our_verdict(m.text, name)
            statuses.add(ours.status)
            if not ours.ok:
                problems.append(f"{name}: {m!r}: {ours.status}: {ours.message}")
                continue
            # A NUL is a blank (as in MLIR's lexer): the CLI reads the same text as in-process.
            accepted = ours.status == ACCEPTED
        else:
            accepted = _in_comment(m)  # not UTF-8: only the CLI sees the bytes
        problem = _cli_problem(m, tmp_path, accepted)
        if problem:
            problems.append(f"{name}: {m!r}: CLI: {problem}")
    if problems:
        pytest.fail(f"{len(problems)} of {len(mutants)} {kind} mutants:\n" + "\n".join(
            problems[:15]))
    # Not vacuous: the in-process path saw what the class is for (legal re-layouts for
    # line ends and one-line modules, bad input for the others; encoding: only the CLI).
    expected = ACCEPTED if kind in ("line_ends", "one_line") else REJECTED
    assert kind == "encoding" or expected in statuses, statuses


@pytest.mark.parametrize("kind", known_failures(
    "test_mutants_give_located_errors_never_internal_ones", [(k, (k,)) for k in KINDS]))
def test_mutants_give_located_errors_never_internal_ones(kind: str, tmp_path: Path) -> None:
    _check_no_internal_errors(kind, N_MUTANTS, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_mutants_give_located_errors_never_internal_ones_many(kind: str,
                                                              tmp_path: Path) -> None:
    _check_no_internal_errors(kind, N_MUTANTS_SLOW, tmp_path)


def _check_iree_opt_accepted_means_accepted(kind: str, count: int) -> None:
    mutants = [(n, m) for n, m in _of_kind(kind, count) if m.text is not None]
    verdicts = run_batch([m.text or "" for _, m in mutants], [])
    wrong = []
    accepted = 0
    for (name, m), v in zip(mutants, verdicts, strict=True):
        if not v.accepted:
            continue
        accepted += 1
        ours = our_verdict(m.text or "", name)
        if ours.status != ACCEPTED:
            wrong.append(f"{name}: {m!r}: iree-opt accepts, we say {ours.status}: "
                         f"{ours.message}")
    if wrong:
        pytest.fail(f"{len(wrong)} of {accepted} mutants iree-opt accepts:\n" + "\n".join(
            wrong[:15]))


# Classes whose mutants iree-opt may accept (the others never give legal MLIR).
ORACLE_KINDS = tuple(k for k in KINDS if k != "encoding")


@pytest.mark.usefixtures("iree_opt")
@pytest.mark.parametrize("kind", known_failures(
    "test_what_iree_opt_accepts_we_accept", [(k, (k,)) for k in ORACLE_KINDS]))
def test_what_iree_opt_accepts_we_accept(kind: str) -> None:
    _check_iree_opt_accepted_means_accepted(kind, N_ORACLE)


@pytest.mark.slow
@pytest.mark.usefixtures("iree_opt")
@pytest.mark.parametrize("kind", ORACLE_KINDS)
def test_what_iree_opt_accepts_we_accept_many(kind: str) -> None:
    _check_iree_opt_accepted_means_accepted(kind, N_MUTANTS)


def _check_covered_rejections_are_ours(kind: str, count: int) -> None:
    """Every mutant iree-opt rejects for a reason our parser/verifier covers
    (`agreement.iree_reason`), outside an executable body we keep verbatim, we reject too."""
    mutants = [(n, m) for n, m in _of_kind(kind, count) if m.text is not None]
    verdicts = run_batch([m.text or "" for _, m in mutants], [])
    missed = []
    covered = 0
    for (name, m), v in zip(mutants, verdicts, strict=True):
        if v.accepted or v.crashed or iree_reason(v.error or "") != "covered":
            continue
        ours = our_verdict(m.text or "", name)
        if ours.status == ACCEPTED and in_opaque_body(m.text or "", v.line, v.col):
            continue
        covered += 1
        if ours.status == ACCEPTED:
            missed.append(f"{name}: {m!r}: iree-opt: {v.error}")
    if missed:
        pytest.fail(f"{len(missed)} of {covered} mutants iree-opt rejects for a covered "
                    "reason are accepted:\n" + "\n".join(missed[:15]))


@pytest.mark.usefixtures("iree_opt")
@pytest.mark.parametrize("kind", ORACLE_KINDS)
def test_what_iree_opt_rejects_for_a_covered_reason_we_reject(kind: str) -> None:
    _check_covered_rejections_are_ours(kind, N_ORACLE)


@pytest.mark.slow
@pytest.mark.usefixtures("iree_opt")
@pytest.mark.parametrize("kind", ORACLE_KINDS)
def test_what_iree_opt_rejects_for_a_covered_reason_we_reject_many(kind: str) -> None:
    _check_covered_rejections_are_ours(kind, N_MUTANTS)


def test_mutants_are_deterministic_and_every_class_changes_its_input() -> None:
    first = mutant_set(INPUTS, 3 * len(KINDS))
    assert first == mutant_set(INPUTS, 3 * len(KINDS))
    originals = dict(INPUTS)
    for name, m in first:
        assert m.data != originals[name].encode(), f"{m!r} did not change {name}"
