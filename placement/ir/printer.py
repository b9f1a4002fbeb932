"""Printer: the input text re-emitted with edits, comments removed (as `iree-opt` removes them).

Printing is source-preserving: every byte of the user's module is kept except comments and the
spans that an edit replaces. Analyses express their output as `Edit`s (an attribute dictionary
to write, an op to print in generic form, a type to change); `render` applies them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import Any

from placement import ops as optable
from placement.ir.core import Block, Module, Operation, Region, Value
from placement.ir.format import AttrDict, Directive, Group, Literal


@dataclass(frozen=True, order=True, slots=True)
class Edit:
    """Replace source bytes [start, end) with `text` (start == end inserts)."""

    start: int
    end: int
    text: str


# Sort key of edits: the order `Edit`'s generated comparison gives, compared in C.
_EDIT_ORDER = attrgetter("start", "end", "text")


def render(module: Module, edits: list[Edit], strip_comments: bool = True) -> str:
    """The module source with `edits` applied and (by default) comments removed.

    Edits must not overlap; an edit that touches a comment span wins over the comment.
    Lines that held only a comment are dropped entirely.
    """
    return _render(module, [(e.start, e.end, e.text) for e in edits], strip_comments)


# An edit as the printer handles it: (start, end, text), ordered as `Edit` orders.
Cut = tuple[int, int, str]


def _render(module: Module, edits: list[Cut], strip_comments: bool = True) -> str:
    """`render` on plain edit tuples (sorted here, in place)."""
    source = module.source
    edits.sort()
    comments = _comment_cuts(source, module.comments) if strip_comments else None
    text = _apply(source, 0, len(source), edits, comments)
    if strip_comments:
        text = _squeeze_blank_lines(text)
    return text


def apply_edits(source: str, start: int, end: int, edits: list[Edit],
                comment_cuts: list[Edit] | None = None) -> str:
    """`source[start:end]` with sorted edits applied. Edits must not overlap (ValueError:
    an internal error); `comment_cuts` (comment removals) give way to an edit they touch."""
    return _apply(source, start, end, [(e.start, e.end, e.text) for e in edits],
                  [(e.start, e.end, e.text) for e in comment_cuts] if comment_cuts else None)


def _apply(source: str, start: int, end: int, edits: list[Cut],
           comment_cuts: list[Cut] | None = None) -> str:
    if comment_cuts:
        edits = _merge_cuts(edits, comment_cuts)
    out: list[str] = []
    append = out.append
    pos = start
    for cut_start, cut_end, text in edits:
        if cut_start < pos:
            raise ValueError(f"internal: overlapping edits at offset {cut_start} "
                             f"({text[:40]!r})")
        append(source[pos:cut_start])
        append(text)
        pos = cut_end
    append(source[pos:end])
    return "".join(out)


def _merge_cuts(edits: list[Cut], cuts: list[Cut]) -> list[Cut]:
    """Sorted edits plus the comment cuts that do not overlap any of them."""
    out = sorted(edits)
    keep = []
    for cut in cuts:
        cut_start, cut_end = cut[0], cut[1]
        # (the index of (cut_start, cut_start) among the edits' (start, end) spans)
        i = bisect.bisect_left(out, (cut_start, cut_start))
        near = out[max(0, i - 1):i + 1]
        if any(a < cut_end and cut_start < b or (a == b and cut_start < a < cut_end)
               for a, b, _ in near):
            continue
        keep.append(cut)
    if not keep:
        return out
    out += keep
    out.sort()
    return out


def updated_attributes(op: Operation, updates: dict[str, str | None]) -> dict[str, str]:
    """The op's attribute dictionary with `updates` applied (a None value removes the key)."""
    entries = dict(op.attributes)
    for key, value in updates.items():
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value
    return entries


def _comment_cuts(source: str, comments: list[tuple[int, int]]) -> list[Cut]:
    cuts: list[Cut] = []
    for start, end in comments:
        line_start = source.rfind("\n", 0, start) + 1
        if source[line_start:start].strip() == "":
            # A whole-line comment: drop the line with its newline.
            stop = end + 1 if end < len(source) and source[end] == "\n" else end
            cuts.append((line_start, stop, ""))
        else:
            # A trailing comment: drop it and the blanks before it.
            s = start
            while s > line_start and source[s - 1] in " \t":
                s -= 1
            cuts.append((s, end, ""))
    return cuts


# A blank line (only whitespace, as `str.strip` sees it) that a newline ends.
_BLANK_LINE = re.compile(r"^[^\S\n]*\n", re.MULTILINE)


def _squeeze_blank_lines(text: str) -> str:
    if text.endswith("\n") and _BLANK_LINE.search(text) is None:
        return text  # no blank line to drop or squeeze: the loop below returns it unchanged
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


_KEYS: dict[str, str] = {}  # attribute name -> as printed (names repeat)


def _key(name: str) -> str:
    found = _KEYS.get(name)
    if found is None:
        found = _KEYS[name] = name if _BARE_KEY.match(name) else '"' + name + '"'
    return found


def set_attributes(module: Module, op: Operation, updates: dict[str, str | None]) -> list[Edit]:
    """Edits that give `op` the attribute dictionary updated by `updates` (None removes).

    An existing dictionary is replaced in place. A new one goes where the op's format has its
    `attr-dict` (with the `attributes` keyword for `attr-dict-with-keyword`); where a dictionary
    there would read as an absent optional `{...}` group of the format (`hal.tensor.import`,
    `stream.tensor.sizeof` without dims), the op is printed in generic form instead.
    """
    entries = updated_attributes(op, updates)
    if entries == op.attributes:
        return []
    return attr_dict_edits(module, op, entries)


@cache
def dict_follows_brace_group(name: str) -> bool:
    """Whether the format of op `name` puts its `attr-dict` (without the `attributes`
    keyword) right after an optional group that opens with `{` (`(`{` $dims^ `}`)? attr-dict`:
    `hal.tensor.import`, `stream.tensor.sizeof`). Where the group is absent, a dictionary
    there reads as the group (iree-opt prints it so and cannot read it back); such ops print
    a changed dictionary in generic form, with or without the group, so that one op prints
    one way."""
    fmt = optable.syntax_of(name)
    if fmt is None:
        return False
    before: Directive | None = None
    for directive in fmt.directives:
        if isinstance(directive, AttrDict):
            return not directive.keyword and isinstance(before, Group) and \
                before.first.first_literal() == "{"
        if not (isinstance(directive, Literal) and directive.spacing):
            before = directive
    return False


def attr_dict_edits(module: Module, op: Operation, entries: dict[str, str]) -> list[Edit]:
    """Edits that replace the op's source attribute dictionary by `entries` (see
    `set_attributes`): only the dictionary span, or the whole op in generic form where a new
    dictionary would read as an absent optional `{...}` group."""
    cut = _attr_dict_cut(module, op, entries)
    return [] if cut is None else [Edit(*cut)]


def _attr_dict_cut(module: Module, op: Operation, entries: dict[str, str]) -> Cut | None:
    """`attr_dict_edits` as one edit tuple (None: nothing to change). Ops whose format has a
    plain `attr-dict` right after an optional `{...}` group (`dict_follows_brace_group`)
    always print a changed dictionary with the whole op in generic form, unless the op was
    written in generic form already."""
    syntax = op.syntax
    if not syntax.generic and dict_follows_brace_group(op.name):
        from placement.ir.generic import generic_form

        return (syntax.start, syntax.end, generic_form(module, op, entries))
    span = syntax.attr_dict
    if span is not None:
        start, end = span
        if not entries:
            # Remove the dictionary, its 'attributes' keyword and the blank before it.
            cut = syntax.attr_keyword if syntax.attr_keyword >= 0 else start
            source = module.source
            while cut > 0 and source[cut - 1] == " ":
                cut -= 1
            return (cut, end, "")
        return (start, end, format_attr_dict(entries))
    if not entries:
        return None
    if syntax.dict_needs_generic and not syntax.generic:
        from placement.ir.generic import generic_form

        return (syntax.start, syntax.end, generic_form(module, op, entries))
    if syntax.attr_anchor is None:
        raise ValueError(f"internal: {op.name} has no attribute dictionary position")
    at, keyword = syntax.attr_anchor
    return (at, at, (" attributes " if keyword else " ") + format_attr_dict(entries))


# ------------------------------------------------------------------ the IR printer


class Out:
    """Token output with MLIR's format spacing (as ODS-generated printers space literals)."""

    def __init__(self, printer: IRPrinter) -> None:
        self.printer = printer
        self.parts: list[str] = []
        self.space = False
        self.last_punct = False

    def _emit(self, text: str, space: bool) -> None:
        if space and self.parts:
            self.parts.append(" ")
        self.parts.append(text)

    def tight(self) -> None:
        """No space before the next element."""
        self.space = False

    def punct(self, text: str) -> None:
        """A literal: keyword or punctuation."""
        if len(text) != 1 and text != "->":
            space = True
        elif self.last_punct:
            space = text[0] not in ">)}],"
        else:
            space = text[0] not in "<>(){}[],"
        self._emit(text, space and self.space)
        self.space = len(text) != 1 or text[0] not in "<({["
        self.last_punct = not (text[0] == "_" or text[0].isalnum())

    def word(self, text: str) -> None:
        """A value-like element (attribute, type, symbol, keyword value)."""
        if not text:
            return
        self._emit(text, self.space)
        self.space = True
        self.last_punct = False

    def values(self, values: list[Value]) -> None:
        """SSA names, comma separated."""
        if values:
            self.word(", ".join(v.name for v in values))

    def types(self, types: list[str]) -> None:
        """Types, comma separated."""
        if types:
            self.word(", ".join(types))

    def result_types(self, types: list[str]) -> None:
        """`T` alone, else `(T, T)`."""
        if len(types) == 1 and not types[0].startswith("("):
            self.word(types[0])
        else:
            self.word("(" + ", ".join(types) + ")")

    def dims(self, values: list[Value], always: bool = False) -> None:
        """`{%a, %b}` right after the previous element (nothing when empty, unless always)."""
        if values or always:
            self.parts.append("{" + ", ".join(v.name for v in values) + "}")
            self.space = True
            self.last_punct = False

    def sized_types(self, values: list[Value], sizes: list[Value]) -> None:
        """`T{%s}, T{%s}` pairing each sized type with its sizes."""
        self.word(", ".join(self.printer.sized(v.type, sizes) for v in values))

    def attr_dict(self, op: Operation, keyword: bool) -> None:
        """The op's discardable attributes, `{...}` or `attributes {...}`."""
        if op.attributes:
            if keyword:
                self.word("attributes")
            self.word(format_attr_dict(op.attributes))

    def block_args(self, region: Region) -> None:
        """`(%a: T, %b: T)` of a region's entry block."""
        block = region.blocks[0] if region.blocks else None
        args = block.arguments if block is not None else []
        self.word("(" + ", ".join(f"{a.name}: {a.type}" for a in args) + ")")
        self.space = True

    def region(self, region: Region, entry_args: bool = True) -> None:
        """A region in braces, its ops on their own lines."""
        self.word(self.printer.region(region, entry_args))

    def shaped_function_type(self, st: Any, operands: str, operand_dims: str,
                             results: str, result_dims: str) -> None:
        """`(T{%d}, T) -> (T{%d}, %x)` with ties from `op.tied`."""
        p = self.printer
        dims = list(st.groups.get(operand_dims, []))
        args = [p.take_dims(v.type, dims) for v in st.groups.get(operands, [])]
        self.word("(" + ", ".join(args) + ")")
        self.punct("->")
        rdims = list(st.groups.get(result_dims, []))
        group = st.groups.get(operands, [])
        base = st.op.operands.index(group[0]) if group else 0
        items = []
        for i, r in enumerate(st.result_groups.get(results, [])):
            tied = st.op.tied.get(i)
            if tied is not None and 0 <= tied - base < len(group):
                value = st.op.operands[tied]
                text = value.name if value.type == r.type else f"{value.name} as {r.type}"
                items.append(text + p.take_dims(r.type, rdims)[len(r.type):])
            else:
                items.append(p.take_dims(r.type, rdims))
        self.word(items[0] if len(items) == 1 else "(" + ", ".join(items) + ")")


class IRPrinter:
    """Prints ops from the IR: custom form from the op table's format, else generic form."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.indent = 0

    @staticmethod
    def n_dims(type_text: str) -> int:
        """How many `{...}` values follow a type: dynamic dims of a tensor, one size of a
        sized stream/flow type."""
        if type_text.startswith("!stream.resource") or type_text.startswith("!stream.staging"):
            return 1
        if type_text.startswith("tensor<") or \
                type_text.startswith("!iree_tensor_ext.dispatch.tensor<"):
            depth = 0
            count = 0
            for ch in type_text[type_text.index("<") + 1:]:
                if ch in "<([{":
                    depth += 1
                elif ch in ">)]}":
                    if depth == 0:
                        break
                    depth -= 1
                elif ch == "," and depth == 0:
                    break
                elif ch == "?" and depth == 0:
                    count += 1
            return count
        return 0

    def take_dims(self, type_text: str, dims: list[Value]) -> str:
        """`T{%a}` consuming the type's dims from the front of `dims`."""
        n = self.n_dims(type_text)
        if n == 0:
            return type_text
        taken, dims[:] = dims[:n], dims[n:]
        return type_text + "{" + ", ".join(v.name for v in taken) + "}"

    def sized(self, type_text: str, sizes: list[Value]) -> str:
        """Alias of `take_dims` for size lists."""
        return self.take_dims(type_text, sizes)

    def region(self, region: Region, entry_args: bool = True) -> str:
        """`{\\n ops \\n}` at the current indentation."""
        if region.opaque:
            return self.module.source[region.start:region.end]
        self.indent += 2
        lines: list[str] = []
        for i, block in enumerate(region.blocks):
            label = i > 0 or (entry_args and bool(block.arguments))
            if label:
                name = block.label or f"^bb{i}"
                args = ", ".join(f"{a.name}: {a.type}" for a in block.arguments)
                lines.append(" " * (self.indent - 2) + name + (f"({args})" if args else "")
                             + ":")
            for op in block.ops:
                lines.append(" " * self.indent + self.op(op))
        self.indent -= 2
        if not lines:
            return "{\n" + " " * self.indent + "}"
        return "{\n" + "\n".join(lines) + "\n" + " " * self.indent + "}"

    def op(self, op: Operation) -> str:
        """One op: custom form when its format can print it, else generic form."""
        from placement.ir.generic import result_prefix

        custom = self.custom(op)
        if custom is not None:
            return result_prefix(op) + custom
        return self.generic(op)

    def custom(self, op: Operation) -> str | None:
        """The custom form of `op` (None when its format cannot print it)."""
        from placement.ir.format import PrintState

        fmt = optable.syntax_of(op.name)
        if fmt is None or (op.attributes and op.syntax.dict_needs_generic):
            return None
        groups = _split(op.operands, fmt.operands, op.syntax.segments)
        result_groups = _split(op.results, fmt.results, [])
        if groups is None or result_groups is None:
            return None
        regions: dict[str, list[Region]] = {}
        names = [n for n, _ in fmt.regions] or ["regions"]
        for i, region in enumerate(op.regions):
            regions.setdefault(names[min(i, len(names) - 1)] if names[0] != "regions"
                               else "regions", []).append(region)
        successors: dict[str, list[tuple[Block, list[Value]]]] = {}
        succ_names = list(fmt.successors)
        for i, block in enumerate(op.successors):
            first, count = op.successor_operands[i]
            name = succ_names[min(i, len(succ_names) - 1)] if succ_names else ""
            successors.setdefault(name, []).append((block, op.operands[first:first + count]))
        st = PrintState(op, fmt, groups, result_groups, dict(op.syntax_attrs), regions,
                        successors)
        out = Out(self)
        out.word(optable.printed_name(op))
        out.space = True
        try:
            fmt.print(out, st)
        except NotImplementedError:
            return None
        return "".join(out.parts)

    def generic(self, op: Operation) -> str:
        """`"name"(%a) [^bb] <{props}> ({regions}) {attrs} : (T) -> T`."""
        from placement.ir.generic import properties, result_prefix

        props = op.syntax_attrs if op.syntax.generic else properties(op)
        text = result_prefix(op) + f'"{op.name}"(' + ", ".join(v.name for v in op.operands) + ")"
        if op.successors:
            text += "[" + ", ".join(block.label for block in op.successors) + "]"
        if props:
            text += " <" + format_attr_dict(props) + ">"
        if op.regions:
            text += " (" + ", ".join(self.region(r) for r in op.regions) + ")"
        if op.attributes:
            text += " " + format_attr_dict(op.attributes)
        operand_types = ", ".join(v.type for v in op.operands)
        results = [r.type for r in op.results]
        rtext = results[0] if len(results) == 1 and not results[0].startswith("(") else \
            "(" + ", ".join(results) + ")"
        return text + f" : ({operand_types}) -> {rtext}"


def _split(values: list[Any], decls: list[Any], segments: list[int]) -> dict[str, list[Any]] | None:
    """Values split into the declared groups (by the recorded segment sizes, else inferred
    when at most one group is variadic)."""
    out: dict[str, list[Any]] = {}
    if len(segments) == len(decls) and sum(segments) == len(values):
        pos = 0
        for decl, n in zip(decls, segments, strict=True):
            out[decl.name] = values[pos:pos + n]
            pos += n
        return out
    flexible = [d for d in decls if d.kind != "single"]
    fixed = len(decls) - len(flexible)
    if len(flexible) > 1 or (not flexible and fixed != len(values)) or fixed > len(values):
        return None
    pos = 0
    for decl in decls:
        n = 1 if decl.kind == "single" else len(values) - fixed
        out[decl.name] = values[pos:pos + n]
        pos += n
    return out


def print_ir(module: Module, force_all: bool = False) -> str:
    """The module as text. By default source-preserving: ops marked `modified` (and new ops,
    which have no source span) are printed from the IR, ops marked `attributes_modified` get
    only their attribute dictionary re-printed, the rest is the user's text (comments
    removed). With `force_all`, every op is printed from the IR."""
    printer = IRPrinter(module)
    if force_all:
        lines = [f"{name} = {value}" for name, value in module.attribute_aliases.items()]
        lines += [f"{name} = {value}" for name, value in module.type_aliases.items()]
        if module.implicit_root:
            lines += [printer.op(op) for op in module.top_level_ops()]
        else:
            lines.append(printer.op(module.root))
        return "\n".join(lines) + "\n"
    edits: list[Cut] = []
    root = module.root
    if root.attributes_modified and not root.modified and not module.implicit_root:
        cut = _attr_dict_cut(module, root, root.attributes)
        if cut is not None:
            edits.append(cut)
    _changes(module, printer, root, edits)
    if module.erased:
        edits += _erasures(module.source, module.erased, edits)
    return _render(module, edits)


def _changes(module: Module, printer: IRPrinter, root: Operation, edits: list[Cut]) -> None:
    """Append the edits of the changed ops nested in `root`, ops visited in pre-order (so that
    the edits come nearly sorted for `_render`'s sort).

    Consecutive new ops of a block are one insertion: a new op joins the edit made last while
    visiting the blocks of the op being visited, when that edit is an insertion where the
    new op goes."""
    source = module.source
    stack = [root]
    while stack:
        op = stack.pop()
        last = -1  # index in `edits` of the last edit made for `op`'s blocks
        inner: list[Operation] = []  # children to visit, in order
        for region in op.regions:
            for block in region.blocks:
                prev_end = region.start + 1 if region.end else -1
                prev_start = -1  # start of the previous op from the source (its indentation)
                for child in block.ops:
                    syntax = child.syntax
                    if child.modified or syntax.end == 0:
                        new = syntax.end == 0
                        printer.indent = _indent_of(source, (
                            prev_start if prev_start >= 0 else prev_end) if new else
                            syntax.start)
                        text = printer.op(child)
                        if new:
                            if prev_end < 0:
                                raise ValueError(f"internal: no place to insert {child.name}")
                            line = "\n" + " " * printer.indent + text
                            if last >= 0 and edits[last][0] == edits[last][1] == prev_end:
                                # Consecutive new ops: one insertion, in block order.
                                edits[last] = (prev_end, prev_end, edits[last][2] + line)
                            else:
                                last = len(edits)
                                edits.append((prev_end, prev_end, line))
                        else:
                            last = len(edits)
                            edits.append((syntax.start, syntax.end, text))
                            prev_end, prev_start = syntax.end, syntax.start
                        continue
                    if child.attributes_modified:
                        cut = _attr_dict_cut(module, child, child.attributes)
                        if cut is not None:
                            last = len(edits)
                            edits.append(cut)
                        if not syntax.generic and (dict_follows_brace_group(child.name) or (
                                syntax.attr_dict is None and child.attributes
                                and syntax.dict_needs_generic)):
                            # printed whole in generic form: nothing inside to visit
                            prev_end, prev_start = syntax.end, syntax.start
                            continue
                    prev_end, prev_start = syntax.end, syntax.start
                    if child.regions:
                        inner.append(child)
        if inner:
            inner.reverse()
            stack += inner


def _erasures(source: str, spans: list[tuple[int, int]], edits: list[Cut]) -> list[Cut]:
    """Edits deleting erased ops (with their line when they stood alone on it), except those
    inside an op that is reprinted anyway or inside another erased op."""
    out: list[Cut] = []
    covered = sorted((s, e) for s, e, _ in edits if e > s)
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if any(s <= start and end <= e for s, e in covered):
            continue
        line_start = source.rfind("\n", 0, start) + 1
        if not source[line_start:start].strip():
            start = line_start
        line_end = source.find("\n", end)
        line_end = len(source) if line_end < 0 else line_end
        if not source[end:line_end].strip():
            end = min(len(source), line_end + 1)
        out.append((start, end, ""))
        covered.append((start, end))
    return out


def _indent_of(source: str, offset: int) -> int:
    if offset < 0:
        return 0
    line_start = source.rfind("\n", 0, offset) + 1
    line = source[line_start:offset]
    return len(line) - len(line.lstrip(" "))
