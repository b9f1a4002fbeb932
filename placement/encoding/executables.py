"""IREE 3.13's executable update (opt-in, `--rewrite-executables`): retype the bindings of the
dispatched entry functions, and duplicate an executable whose dispatch sites need different
encodings (`@ex`, `@ex_dup0`, ...; golden case 11).

The mapping is positional: mixed-operand index i of the dispatch is argument i of the entry
function (one of the two readings of spec 13.4 that fit every case). Only
`stream.binding.subspan` result types change, as in 3.13: the `dispatch.tensor.load`s inside
keep their types, which is why this is off by default (real compiles of such output fail).
"""

from __future__ import annotations

from placement import ops as optable
from placement.encoding.analysis import Analysis
from placement.encoding.policy import Candidate
from placement.encoding.syntax import inner_tensors, symbol_spans
from placement.ir.core import Operation
from placement.ir.printer import Edit, apply_edits

Signature = tuple[tuple[int, str], ...]


def _entry_function(executable: Operation, entry: str) -> Operation | None:
    for op in executable.walk():
        if op is not executable and optable.info(op).role == optable.Role.FUNCTION \
                and op.symbols and op.symbols[0] == "@" + entry:
            return op
    return None


def _binding_edits(analysis: Analysis, func: Operation, sig: Signature,
                   choices: dict[tuple[int, str], Candidate]) -> list[Edit]:
    if not func.regions or not func.regions[0].blocks:
        return []
    args = func.regions[0].blocks[0].arguments
    edits = []
    for index, text in sig:
        if index >= len(args):
            continue
        for use in args[index].uses:
            if optable.info(use.owner).encoding != optable.EncodingRole.BINDING:
                continue
            for entry in inner_tensors(analysis.text, use.owner):
                edits.append(Edit(entry.start, entry.end,
                                  entry.retyped(choices[(index, text)].text)))
    return edits


def executable_edits(analysis: Analysis,
                     updates: list[tuple[Operation, dict[int, Candidate]]]) -> list[Edit]:
    """Edits that retype (and, when sites disagree, duplicate) the dispatched executables."""
    module = analysis.module
    executables = {op.symbols[0][1:]: op for op in module.top_level_ops()
                   if optable.info(op).encoding == optable.EncodingRole.EXECUTABLE and op.symbols}
    taken = {op.symbols[0][1:] for op in module.top_level_ops() if op.symbols}
    # executable -> entry -> signature -> dispatch ops, in order of first appearance.
    groups: dict[str, dict[Signature, list[Operation]]] = {}
    choices: dict[tuple[int, str], Candidate] = {}
    for op, per_index in sorted(updates, key=lambda u: u[0].syntax.start):
        if not op.symbols or "::" not in op.symbols[0]:
            continue
        ex_name, entry = (s.lstrip("@") for s in op.symbols[0].split("::", 1))
        if ex_name not in executables:
            continue
        sig: Signature = tuple(sorted((i, c.text) for i, c in per_index.items()))
        for i, c in per_index.items():
            choices[(i, c.text)] = c
        key = f"{ex_name}::{entry}"
        groups.setdefault(key, {}).setdefault(sig, []).append(op)
    edits: list[Edit] = []
    dup_count: dict[str, int] = {}
    for key, by_sig in groups.items():
        ex_name, entry = key.split("::", 1)
        executable = executables[ex_name]
        func = _entry_function(executable, entry)
        if func is None:
            continue
        for n, (sig, sites) in enumerate(by_sig.items()):
            inner = _binding_edits(analysis, func, sig, choices)
            if n == 0:
                edits.extend(inner)
                continue
            k = dup_count.get(ex_name, 0)
            while f"{ex_name}_dup{k}" in taken:
                k += 1
            dup_count[ex_name] = k + 1
            new_name = f"{ex_name}_dup{k}"
            taken.add(new_name)
            edits.append(Edit(executable.syntax.end, executable.syntax.end,
                              "\n" + _copy(analysis, executable, inner, ex_name, new_name)))
            for site in sites:
                for start, end in symbol_spans(analysis.text, site, "@" + ex_name):
                    edits.append(Edit(start, end, "@" + new_name))
    return edits


def _copy(analysis: Analysis, executable: Operation, inner: list[Edit], old: str,
          new: str) -> str:
    """The executable's text with `inner` applied, its name changed and comments removed."""
    module = analysis.module
    a, b = executable.syntax.start, executable.syntax.end
    name = symbol_spans(analysis.text, executable, "@" + old)[:1]
    cuts = sorted(inner + [Edit(s, e, "@" + new) for s, e in name])
    comments = [Edit(s, e, "") for s, e in module.comments if a <= s < b]
    body = apply_edits(module.source, a, b, cuts, comments)
    line_start = module.source.rfind("\n", 0, a) + 1
    indent = module.source[line_start:a] if not module.source[line_start:a].strip() else ""
    text = "\n".join(line.rstrip() for line in body.split("\n"))
    return indent + text
