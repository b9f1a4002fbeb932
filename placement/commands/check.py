"""`placement check`: cross-check the two engines, and optionally IREE's own `iree-opt`.

Exit codes: 0 when our engines agree (and, with `--strict-oracle`, iree-opt agrees too), 1 when
they disagree, 2 on bad input (every bad case is reported; the good ones are still checked).
The engines, rich and the explorer load only when the command runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from placement.commands import common
from placement.diagnostics import PlacementError

if TYPE_CHECKING:
    from rich.console import Console

    from placement.ir.core import Module, Operation
    from placement.solution import Kind, Subject


class CheckFormat(StrEnum):
    """Output formats of `check`."""

    table = "table"
    json = "json"


@dataclass
class Row:
    """One difference: an attribute of an op, and what each side prints (None: absent)."""

    case: int
    op: Operation
    attribute: str
    left: str | None
    right: str | None
    tag: str | None = None

    def as_json(self, left: str, right: str) -> dict[str, object]:
        """The row as a JSON object with the two sides named."""
        from placement.ir.explorer import symbol_name

        func = function_of(self.op)
        out: dict[str, object] = {
            "case": self.case, "function": symbol_name(func) if func is not None else None,
            "op": self.op.name, "line": self.op.loc.line, "column": self.op.loc.col,
            "attribute": self.attribute, left: self.left, right: self.right}
        if right == "iree_opt":
            out["tag"] = self.tag
        return out


@dataclass
class CheckReport:
    """Everything `check` found in one input."""

    file: str
    cases: int = 0
    engines: list[Row] = field(default_factory=list)
    oracle: list[Row] | None = None
    semantics: str = "seed"
    # Attributes iree-opt prints that the profile does not model (under seed: the `.usage`
    # lists of 10.1#1), counted per attribute name; never silently agreeing.
    not_modelled: dict[str, int] = field(default_factory=dict)

    def tag_counts(self) -> dict[str, int]:
        """Oracle differences per section-10 tag (`untagged` for the unexplained ones)."""
        counts: dict[str, int] = {}
        for row in self.oracle or []:
            key = row.tag or "untagged"
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))


def function_of(op: Operation) -> Operation | None:
    """The top-level function (or global) an op belongs to."""
    from placement import ops as optable
    from placement.ops import Role

    for x in op.ancestors():
        if optable.info(x).role in (Role.FUNCTION, Role.GLOBAL) and x.parent_op is not None \
                and optable.info(x.parent_op).role == Role.MODULE:
            return x
    return None


# --------------------------------------------------------------------------- oracle tags
TAG_PINNING = "10.1#2 pinning (PR #20945)"
TAG_HAL_PIN = "10.1#3 HAL ops pin only with on(...)"
TAG_SCF = "10.1#12-14 scf region edges"
TAG_UNUSED_GLOBAL = "10.1#15 globals without uses (Q13)"
TAG_DEFAULT = "10.1#9 default fallback"
NOT_MODELLED = "not modelled by the seed (10.1#1 .usage)"


class Tagger:
    """Explains an iree-opt difference by a spec section-10 item, when one applies.

    A difference is attributed to an item when the differing element *depends* on what that
    item changed: the elements behind the attribute (O for `stream.affinities`, P for the
    operand/result lists) reach, through the model's read edges, a pinned producer (10.1#2/#3)
    or an scf region edge (10.1#12-14). Globals without uses are 10.1#15 (Q13).
    """

    def __init__(self, module: Module) -> None:
        from placement.ir.explorer import Explorer
        from placement.model.constraints import build_constraints

        self.module = module
        self.explorer = Explorer(module)
        self.cs = build_constraints(module, self.explorer)
        self.reads = self.cs.reads_of()
        self.has_default = any(op.attr("stream.affinity.default") is not None
                               for op in module.root.walk())

    def _elements(self, op: Operation, attribute: str) -> list[int]:
        from placement.solution import Kind

        keys: list[tuple[Kind, Subject]]
        if attribute.endswith(".operands"):
            keys = [(Kind.P, v) for v in op.operands]
        elif attribute.endswith(".results"):
            keys = [(Kind.P, v) for v in op.results]
        else:
            keys = [(Kind.O, op), (Kind.G, op)]
        found = [self.cs.find(kind, subject) for kind, subject in keys]
        return [e for e in found if e is not None]

    def _reached_rules(self, roots: list[int]) -> list[tuple[str, Operation | None]]:
        seen = set(roots)
        stack = list(roots)
        rules: list[tuple[str, Operation | None]] = []
        while stack:
            e = stack.pop()
            for edge in self.reads[e]:
                rules.append((edge.rule, edge.op))
                if edge.source not in seen:
                    seen.add(edge.source)
                    stack.append(edge.source)
        return rules

    def tag(self, op: Operation, attribute: str, ours: str | None,
            theirs: str | None) -> str | None:
        """The section-10 item that explains a difference on `op`/`attribute`, or None."""
        from placement import ops as optable
        from placement.ir.core import OpResult
        from placement.ops import Role

        scf_roles = (Role.SCF_WHILE, Role.SCF_FOR, Role.SCF_IF, Role.REGION_BRANCH, Role.YIELD,
                     Role.CONDITION)
        role = optable.info(op).role
        if role == Role.GLOBAL and self.explorer.global_info(op) is None:
            return TAG_UNUSED_GLOBAL
        rules = self._reached_rules(self._elements(op, attribute))
        pins = [p for rule, p in rules if rule.startswith("4.1.1") and p is not None]
        if pins:
            if any(p.attr("on") is None and p.attr("affinity") is None for p in pins):
                return TAG_HAL_PIN
            return TAG_PINNING
        in_scf = any(optable.info(x).role in scf_roles for x in op.ancestors()) or any(
            optable.info(u.owner).role in scf_roles  # e.g. an scf.for init (Q7)
            for v in list(op.operands) + list(op.results) for u in v.uses) or any(
            isinstance(v, OpResult)  # e.g. an scf.while result (Q8, 10.1#14)
            and optable.info(v.owner).role in scf_roles for v in op.operands)
        if in_scf or any("scf" in rule for rule, _ in rules) or any(
                p is not None and optable.info(p).role in scf_roles for _, p in rules):
            return TAG_SCF
        if self.has_default and (ours is None or "[]" in ours):
            return TAG_DEFAULT
        return None


def _norm(text: str | None) -> str | None:
    return None if text is None else "".join(text.split())


def oracle_rows(case_index: int, module: Module, case_text: str, ours_text: str,
                filename: str, semantics: str = "seed",
                not_modelled: dict[str, int] | None = None) -> list[Row]:
    """Differences between our annotation of a case and iree-opt's.

    Under `seed` they are tagged with the section-10 item that explains them, and the `.usage`
    attributes iree-opt prints are counted in `not_modelled`; under `iree-3.13` all five
    attribute families are compared and nothing is tagged.
    """
    from placement.annotate import ALL_ATTR_NAMES, ATTR_OPERANDS_USAGE, ATTR_RESULTS_USAGE
    from placement.ir.parser import parse
    from placement.oracle import annotated_ops, run_iree_opt

    theirs_text = run_iree_opt(["--iree-stream-annotate-affinities"], case_text)
    ours = parse(ours_text, filename)
    theirs = parse(theirs_text, filename + " (iree-opt)")
    a, b, src = annotated_ops(ours), annotated_ops(theirs), annotated_ops(module)
    if [op.name for op in a] != [op.name for op in b]:
        raise PlacementError("iree-opt's output does not have the same ops as the input; "
                             "cannot align them", filename)
    seed = semantics == "seed"
    tagger: Tagger | None = None  # built at the first difference (it builds the constraints)
    usage = (ATTR_OPERANDS_USAGE, ATTR_RESULTS_USAGE)
    rows = []
    for x, y, orig in zip(a, b, src, strict=True):
        for name in ALL_ATTR_NAMES:
            mine, other = x.attributes.get(name), y.attributes.get(name)
            if seed and name in usage:
                if other is not None and not_modelled is not None:
                    not_modelled[name] = not_modelled.get(name, 0) + 1
                continue
            if _norm(mine) != _norm(other):
                if seed and tagger is None:
                    tagger = Tagger(module)
                tag = tagger.tag(orig, name, mine, other) if tagger is not None else None
                rows.append(Row(case_index, orig, name, mine, other, tag))
    return rows


def run_check(run: common.Run, oracle: bool, semantics: str = "seed") -> CheckReport:
    """Run both engines (and iree-opt) on every case of an input under one semantics; bad
    cases are reported."""
    from placement.annotate import annotate_text, solve_module
    from placement.check import disagreements

    report = CheckReport(run.name, semantics=semantics)
    if oracle:
        from placement.oracle import find_iree_opt

        if find_iree_opt() is None:
            raise PlacementError("--oracle needs iree-opt: pip install 'placement[oracle]' "
                                 "(iree-base-compiler==3.13.0) or set PLACEMENT_IREE_OPT")
        report.oracle = []

    def one(item: common.Loaded) -> None:
        if run.split and not item.case.has_code:
            return
        i, module = item.case.index, item.module
        fixpoint = solve_module(module, "fixpoint", semantics)
        z3 = solve_module(module, "z3", semantics)
        rows = [Row(i, d.op, d.attribute, d.left, d.right)
                for d in disagreements(module, fixpoint, z3)]
        oracle_found = None if report.oracle is None else oracle_rows(
            i, module, item.case.text, annotate_text(module, fixpoint), run.name, semantics,
            report.not_modelled)
        report.cases += 1
        report.engines.extend(rows)
        if report.oracle is not None and oracle_found is not None:
            report.oracle.extend(oracle_found)

    run.each(one)
    return report


def _location(op: Operation) -> str:
    return f"{op.loc.line}:{op.loc.col}"


def _func_name(op: Operation) -> str:
    from placement.ir.explorer import symbol_name

    func = function_of(op)
    return (symbol_name(func) or func.name) if func is not None else "-"


def print_report(report: CheckReport, console: Console) -> None:
    """Rich tables of the disagreements, or one-line OKs."""
    from rich.table import Table
    from rich.text import Text

    if report.engines:
        table = Table(title=f"engines disagree: {len(report.engines)} attribute(s)",
                      title_justify="left")
        for col in ("case", "function", "op", "location", "attribute", "fixpoint", "z3"):
            table.add_column(col)
        for r in report.engines:
            table.add_row(*map(Text, (str(r.case), _func_name(r.op), r.op.name,
                                      _location(r.op), r.attribute, r.left or "(none)",
                                      r.right or "(none)")))
        console.print(table)
    else:
        console.print(f"OK: fixpoint and z3 agree on {report.cases} case(s) of {report.file}")
    if report.oracle is None:
        return
    if report.not_modelled:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(report.not_modelled.items()))
        console.print(Text(f"{NOT_MODELLED}: {sum(report.not_modelled.values())} attribute(s) "
                           f"iree-opt prints ({counts}); compare them with --semantics "
                           "iree-3.13"))
    if not report.oracle:
        what = "the attributes the seed models" if report.not_modelled else "every attribute"
        console.print(f"OK: iree-opt agrees on {what} of {report.cases} case(s) "
                      f"(--semantics {report.semantics})")
        return
    table = Table(title=f"iree-opt differs: {len(report.oracle)} attribute(s)",
                  title_justify="left")
    for col in ("case", "function", "op", "location", "attribute", "ours", "iree-opt", "tag"):
        table.add_column(col)
    for r in report.oracle:
        table.add_row(*map(Text, (str(r.case), _func_name(r.op), r.op.name, _location(r.op),
                                  r.attribute, r.left or "(none)", r.right or "(none)",
                                  r.tag or "untagged")))
    console.print(table)
    counts = ", ".join(f"{k}: {v}" for k, v in report.tag_counts().items())
    console.print(Text(f"iree-opt differences: {len(report.oracle)} ({counts})"))


def report_json(report: CheckReport) -> dict[str, object]:
    """The `placement.check/1` JSON document."""
    doc: dict[str, object] = {
        "schema": "placement.check/1", "file": report.file, "cases": report.cases,
        "engines_agree": not report.engines,
        "engine_disagreements": [r.as_json("fixpoint", "z3") for r in report.engines],
    }
    if report.oracle is not None:
        doc["oracle"] = {"differences": [r.as_json("ours", "iree_opt") for r in report.oracle],
                         "count": len(report.oracle), "by_tag": report.tag_counts(),
                         "not_modelled": dict(sorted(report.not_modelled.items()))}
        doc["semantics"] = report.semantics
    return doc


@common.reports_errors
def check_command(
    input: common.FileArg,
    split_input_file: common.SplitOpt = False,
    oracle: Annotated[bool, typer.Option(
        "--oracle", help="Also compare with IREE's iree-opt (the `oracle` extra).")] = False,
    strict_oracle: Annotated[bool, typer.Option(
        "--strict-oracle", help="Fail (exit 1) on iree-opt differences too; implies --oracle.")
    ] = False,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="table or json.")
                      ] = CheckFormat.table,
    output: common.OutputOpt = "-",
    semantics: common.SemanticsOpt = common.Semantics.seed,
) -> None:
    """Cross-check the fixpoint and Z3 engines (and optionally iree-opt) on a module.

    Exit 0 when the engines agree, 1 when they disagree, 2 on bad input. Differences from
    iree-opt (IREE 3.13 drifted from the seed, spec section 10) are listed, tagged and counted,
    and only fail the command with --strict-oracle.

    Examples:

      placement check model.mlir

      placement check --split-input-file --oracle cases.mlir --format json
    """
    run = common.Run(input, output, split_input_file)
    report = run_check(run, oracle or strict_oracle, semantics.value)
    if format == CheckFormat.json:
        run.output.write(common.json_text(report_json(report)))
    else:
        print_report(report, run.output.console(width=200))
    run.finish()
    strict = strict_oracle or semantics != common.Semantics.seed
    if report.engines or (strict and report.oracle):
        raise typer.Exit(1)
