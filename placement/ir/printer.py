"""Printer: the input text re-emitted with edits, comments removed (as `iree-opt` removes them).

Printing is source-preserving: every byte of the user's module is kept except comments and the
spans that an edit replaces. Analyses express their output as `Edit`s (an attribute dictionary
to write, an op to print in generic form, a type to change); `render` applies them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from placement import ops as optable
from placement.ir.core import Module, Operation


@dataclass(frozen=True, order=True, slots=True)
class Edit:
    """Replace source bytes [start, end) with `text` (start == end inserts)."""

    start: int
    end: int
    text: str


def render(module: Module, edits: list[Edit], strip_comments: bool = True) -> str:
    """The module source with `edits` applied and (by default) comments removed.

    Edits must not overlap; an edit that touches a comment span wins over the comment.
    Lines that held only a comment are dropped entirely.
    """
    source = module.source
    cuts: list[Edit] = sorted(edits)
    if strip_comments:
        cuts = sorted(cuts + _comment_cuts(source, module.comments))
    text = apply_edits(source, 0, len(source), cuts)
    if strip_comments:
        text = _squeeze_blank_lines(text)
    return text


def apply_edits(source: str, start: int, end: int, edits: list[Edit]) -> str:
    """`source[start:end]` with sorted edits applied; an edit overlapping an earlier one is
    skipped."""
    out: list[str] = []
    pos = start
    for edit in edits:
        if edit.start < pos:
            continue
        out.append(source[pos:edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(source[pos:end])
    return "".join(out)


def updated_attributes(op: Operation, updates: dict[str, str | None]) -> dict[str, str]:
    """The op's attribute dictionary with `updates` applied (a None value removes the key)."""
    entries = dict(op.attributes)
    for key, value in updates.items():
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value
    return entries


def _comment_cuts(source: str, comments: list[tuple[int, int]]) -> list[Edit]:
    cuts = []
    for start, end in comments:
        line_start = source.rfind("\n", 0, start) + 1
        if source[line_start:start].strip() == "":
            # A whole-line comment: drop the line with its newline.
            stop = end + 1 if end < len(source) and source[end] == "\n" else end
            cuts.append(Edit(line_start, stop, ""))
        else:
            # A trailing comment: drop it and the blanks before it.
            s = start
            while s > line_start and source[s - 1] in " \t":
                s -= 1
            cuts.append(Edit(s, end, ""))
    return cuts


def _squeeze_blank_lines(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    blank = False
    for line in lines:
        is_blank = line.strip() == ""
        if is_blank and (blank or not out):
            continue
        out.append(line.rstrip() if is_blank else line)
        blank = is_blank
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def format_attr_dict(entries: dict[str, str]) -> str:
    """`{a = v, b}` with entries sorted by name, as MLIR prints dictionaries."""
    parts = [k if v == "" else f"{_key(k)} = {v}" for k, v in sorted(entries.items())]
    return "{" + ", ".join(parts) + "}"


_BARE_KEY = re.compile(r"[A-Za-z_][\w$.]*\Z")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else '"' + name + '"'


def set_attributes(module: Module, op: Operation, updates: dict[str, str | None]) -> list[Edit]:
    """Edits that give `op` the attribute dictionary updated by `updates` (None removes).

    The dictionary is written where the op's custom syntax keeps it (op table `attr_place`),
    merged into the existing one when the source has one. Ops whose syntax has no place that
    parses back are not handled here (see `generic_form`).
    """
    entries = updated_attributes(op, updates)
    if entries == op.attributes:
        return []
    syntax = op.syntax
    text = format_attr_dict(entries) if entries else ""
    if syntax.attr_dict is not None:
        start, end = syntax.attr_dict
        if not entries:
            # Remove the dictionary, its 'attributes' keyword and the blank before it.
            cut = syntax.attr_keyword if syntax.attr_keyword >= 0 else start
            while cut > 0 and module.source[cut - 1] == " ":
                cut -= 1
            return [Edit(cut, end, "")]
        return [Edit(start, end, text)]
    if not entries:
        return []
    place = optable.info(op).attr_place
    if syntax.generic:
        place = optable.AttrPlace.BEFORE_COLON
    if place == optable.AttrPlace.AFTER_NAME:
        return [Edit(syntax.name_end, syntax.name_end, " " + text)]
    if place == optable.AttrPlace.AFTER_FIRST_GROUP and syntax.first_group_end >= 0:
        return [Edit(syntax.first_group_end, syntax.first_group_end, " " + text)]
    if place == optable.AttrPlace.BEFORE_COLON and syntax.first_colon >= 0:
        at = syntax.first_colon
        while at > 0 and module.source[at - 1] == " ":
            at -= 1
        return [Edit(at, at, " " + text)]
    if place == optable.AttrPlace.AFTER_COLON:
        if syntax.first_colon >= 0:
            return [Edit(syntax.first_colon + 1, syntax.first_colon + 1, " " + text)]
        if syntax.first_fat_arrow >= 0:
            return [Edit(syntax.first_fat_arrow + 2, syntax.first_fat_arrow + 2, " " + text)]
    if place == optable.AttrPlace.BEFORE_REGION and op.regions:
        at = op.regions[0].start
        return [Edit(at, at, "attributes " + text + " ")]
    if place in (optable.AttrPlace.END_KEYWORD, optable.AttrPlace.BEFORE_REGION):
        return [Edit(syntax.end, syntax.end, " attributes " + text)]
    return [Edit(syntax.end, syntax.end, " " + text)]
