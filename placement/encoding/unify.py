"""One run of the unification on a module: analyze, choose (IREE's rule or CP-SAT), rewrite."""

from __future__ import annotations

import re

from placement.encoding.analysis import analyze
from placement.encoding.merge import merge_copies
from placement.encoding.policy import iree_assignment
from placement.encoding.report import UnifyResult
from placement.encoding.rewrite import rewrite
from placement.ir.core import Module
from placement.ir.parser import parse
from placement.model.encoding_cpsat import Weights, build_groups, solve

POLICIES = ("iree", "optimal")


def unify_module(module: Module, policy: str = "optimal", weights: Weights | None = None,
                 budgets: dict[str, int] | None = None) -> UnifyResult:
    """Analyze a module and choose every candidate source's unified encoding(s)."""
    analysis = analyze(module)
    weights = weights or Weights()
    if policy == "iree":
        groups = build_groups(analysis, weights)
        for g in groups:
            g.choice = g.iree
        return UnifyResult(analysis, groups, iree_assignment(analysis), policy, "IREE-RULE")
    solution = solve(analysis, weights, budgets)
    return UnifyResult(analysis, solution.groups, solution.assignment(), policy,
                       solution.status)


def rewritten(result: UnifyResult) -> str:
    """The module text after the rewrite; under `optimal`, copies of one source that end
    with the same encoding, shape and placement are then merged into one global
    (`merge.merge_copies`). `iree` reproduces IREE's pass, which keeps every copy."""
    text = rewrite(result.analysis, result.assignment,
                   skip_noop_reencode=result.policy != "iree")
    if result.policy == "iree":
        return text
    return merge_copies(text, result.analysis.module.filename)[0]


_SPLIT = re.compile(r"^// -----[ \t]*$", re.MULTILINE)


def split_chunks(source: str) -> list[tuple[int, str]]:
    """`--split-input-file`: chunks separated by `// -----` lines, with their first line."""
    out: list[tuple[int, str]] = []
    pos = 0
    for m in _SPLIT.finditer(source):
        out.append((pos, source[pos:m.start()]))
        pos = m.end()
    out.append((pos, source[pos:]))
    return [(source.count("\n", 0, start), text) for start, text in out]


def parse_chunk(source: str, first_line: int, filename: str) -> Module:
    """Parse one chunk so that diagnostics carry the line numbers of the whole file."""
    return parse("\n" * first_line + source, filename)
