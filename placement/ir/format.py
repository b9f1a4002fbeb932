"""Declarative op formats (in the spirit of ODS `assemblyFormat`), compiled once into directives.

A format is written in `placement.ops.FORMATS` as an `OpSyntax`: the op's operand, result,
attribute, region and successor declarations (in ODS order) and an ODS-like format string:

    $source `:` type($result) (`{` $source_dims^ `}`)? `to` $target attr-dict-with-keyword

`compile_syntax` turns it into a tree of directive objects. Each directive has a `parse` method
(driven by `placement.ir.parser`) and a `print` method (driven by `placement.ir.printer`), so the
parser and the IR printer derive from the same description. Op-specific custom syntax
(`custom<Name>(...)`) is a small class in `placement.ir.format_custom`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from placement.ir.core import symbol_of, symbol_ref

if TYPE_CHECKING:
    from placement.ir.core import Block, Operation, Region, Value
    from placement.ir.parser import Parser
    from placement.ir.printer import Out


@dataclass(frozen=True)
class OpSyntax:
    """The syntax row of one op (ODS declarations plus the format string).

    `operands`/`results`: space-separated names in ODS order, suffixed `?` (optional) or `*`
    (variadic). `attrs`: `name:kind` (kinds: any, typed, type, unit, symname, symref, str,
    keyword, angle). `regions`: names (suffix `*` for variadic). `successors`:
    `name:operand_group` pairs. `infer`: result name -> operand name whose types it copies,
    `=T` for a fixed type, `@attr` for the type of a typed attribute. `isolated`: the regions do
    not see enclosing values. `segments`: the op has AttrSizedOperandSegments.
    `operand_types`: operand name -> the type the custom parser resolves it with when the format
    writes no `type($operand)` (ODS `AllTypesMatch`, `SameOperandsAndResultType`,
    `TypesMatchWith`, fixed-type operands): `=T` a fixed type (`=index` for `Index` dims and
    sizes, `=i1`), a result or operand name whose written type it has, `%name` the element type
    of that group's written shaped type. A use whose value has another type is iree-opt's
    `use of value '%x' expects different type than prior uses`.
    """

    format: str
    operands: str = ""
    results: str = ""
    attrs: str = ""
    regions: str = ""
    successors: str = ""
    infer: tuple[tuple[str, str], ...] = ()
    isolated: bool = False
    segments: bool | None = None
    skim: bool = False  # an executable: a body with unknown ops is kept verbatim (opaque)
    operand_types: tuple[tuple[str, str], ...] = ()


@dataclass
class Decl:
    """One declared operand or result group."""

    name: str
    kind: str  # "single", "optional", "variadic"


class OpState:
    """What the format bound while parsing one op (or what the printer reads)."""

    __slots__ = ("op", "operands", "operand_offsets", "types", "attr_types", "regions",
                 "successors", "tied", "entry_args", "n_results", "skim")

    def __init__(self, op: Operation, n_results: int = 0, skim: bool = False) -> None:
        self.op = op
        self.operands: dict[str, list[Value]] = {}
        self.operand_offsets: dict[str, list[int]] = {}
        self.types: dict[str, list[tuple[str, int]]] = {}
        self.attr_types: dict[str, str] = {}
        self.regions: dict[str, list[Region]] = {}
        self.successors: list[tuple[Block, str, int, int]] = []
        self.tied: dict[int, tuple[str, Value]] = {}
        self.entry_args: dict[str, list[tuple[str, str, int]]] = {}
        self.n_results = n_results
        self.skim = skim


class Directive:
    """One element of a format."""

    def parse(self, p: Parser, st: OpState) -> None:
        raise NotImplementedError

    def print(self, out: Out, st: PrintState) -> None:
        raise NotImplementedError

    def can_start(self, p: Parser, st: OpState) -> bool:
        """Whether the current token can start this element (for optional groups)."""
        return False

    def present(self, st: PrintState) -> bool:
        """Whether this element (as an optional group's anchor) has something to print."""
        return True

    def first_literal(self) -> str | None:
        """The literal this element starts with, if it always starts with one."""
        return None


@dataclass
class PrintState:
    """The op being printed, with its operands split into the declared groups."""

    op: Operation
    syntax: CompiledSyntax
    groups: dict[str, list[Value]]
    result_groups: dict[str, list[Any]]
    attrs: dict[str, str]
    regions: dict[str, list[Region]]
    successors: dict[str, list[tuple[Block, list[Value]]]]


class Literal(Directive):
    """A keyword or punctuation literal (`to`, `:`, `->`); an empty literal only tightens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spacing = text in ("", " ", "\\n")

    def parse(self, p: Parser, st: OpState) -> None:
        if self.spacing:
            return
        pos = p.pos
        if p.texts[pos] == self.text and p.kinds[pos] in ("punct", "bare"):
            p.pos = pos + 1
            return
        p.expect(self.text)

    def can_start(self, p: Parser, st: OpState) -> bool:
        return not self.spacing and p.at(self.text)

    def print(self, out: Out, st: PrintState) -> None:
        if self.text == "":
            out.tight()
        elif self.text not in (" ", "\\n"):
            out.punct(self.text)

    def first_literal(self) -> str | None:
        return self.text or None


class OperandRef(Directive):
    """`$name` of an operand group."""

    def __init__(self, decl: Decl) -> None:
        self.decl = decl
        self.single = decl.kind == "single"

    def parse(self, p: Parser, st: OpState) -> None:
        name = self.decl.name
        if self.single and name not in st.operands:
            st.operand_offsets[name] = [p.starts[p.pos]]
            st.operands[name] = [p.parse_operand()]
            return
        values = st.operands.setdefault(name, [])
        offsets = st.operand_offsets.setdefault(name, [])
        if self.decl.kind == "variadic":
            if not p.at_value():
                return
            while True:
                offsets.append(p.offset())
                values.append(p.parse_operand())
                if not p.accept(","):
                    break
                if not p.at_value():
                    raise p.error("expected SSA operand")
            return
        if self.decl.kind == "optional" and not p.at_value():
            return
        offsets.append(p.offset())
        values.append(p.parse_operand())

    def can_start(self, p: Parser, st: OpState) -> bool:
        return p.at_value()

    def present(self, st: PrintState) -> bool:
        return bool(st.groups.get(self.decl.name))

    def print(self, out: Out, st: PrintState) -> None:
        out.values(st.groups.get(self.decl.name, []))


class AttrRef(Directive):
    """`$name` of an attribute (stored in `op.syntax_attrs`)."""

    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind

    def parse(self, p: Parser, st: OpState) -> None:
        kind = self.kind
        if kind == "unit":
            st.op.syntax_attrs[self.name] = ""
            return
        text, typ = p.parse_attribute(kind)
        st.op.syntax_attrs[self.name] = text
        if typ is not None:
            st.attr_types[self.name] = typ
        if kind in ("symref", "symname"):
            st.op.symbols.append(symbol_ref(text) if kind == "symref" else symbol_of(text))

    def can_start(self, p: Parser, st: OpState) -> bool:
        return p.at_attribute(self.kind)

    def present(self, st: PrintState) -> bool:
        return self.name in st.attrs

    def print(self, out: Out, st: PrintState) -> None:
        if self.kind == "unit":
            return
        text = st.attrs.get(self.name, "")
        if self.kind == "symname":
            text = symbol_of(text)
        out.word(text)


class TypeRef(Directive):
    """`type($name)` of an operand or result group."""

    def __init__(self, name: str, kind: str, is_result: bool) -> None:
        self.name = name
        self.kind = kind
        self.is_result = is_result
        self.single = kind == "single"

    def parse(self, p: Parser, st: OpState) -> None:
        if self.single and self.name not in st.types:
            ty = p.parse_type()
            st.types[self.name] = [(ty, p.last_offset)]
            return
        types = st.types.setdefault(self.name, [])
        if self.kind == "variadic":
            if not p.at_type():
                return
            while True:
                types.append((p.parse_type(), p.last_offset))
                if not p.accept(","):
                    break
            return
        if self.kind == "optional" and not p.at_type():
            return
        types.append((p.parse_type(), p.last_offset))

    def can_start(self, p: Parser, st: OpState) -> bool:
        return p.at_type()

    def present(self, st: PrintState) -> bool:
        group = st.result_groups if self.is_result else st.groups
        return bool(group.get(self.name))

    def print(self, out: Out, st: PrintState) -> None:
        group = st.result_groups if self.is_result else st.groups
        out.types([v.type for v in group.get(self.name, [])])


class AttrDict(Directive):
    """`attr-dict` / `attr-dict-with-keyword`."""

    def __init__(self, keyword: bool) -> None:
        self.keyword = keyword

    def parse(self, p: Parser, st: OpState) -> None:
        p.parse_optional_attr_dict(st.op, self.keyword)

    def print(self, out: Out, st: PrintState) -> None:
        out.attr_dict(st.op, self.keyword)


class RegionRef(Directive):
    """`$name` of a region (or `regions`: all of them, comma separated)."""

    def __init__(self, name: str, variadic: bool, isolated: bool) -> None:
        self.name = name
        self.variadic = variadic
        self.isolated = isolated

    def parse(self, p: Parser, st: OpState) -> None:
        regions = st.regions.setdefault(self.name, [])
        skim = st.skim
        if self.variadic:
            if not p.at("{"):
                return
            while True:
                regions.append(p.parse_region(st.op, [], self.isolated, skim))
                if not p.accept(","):
                    break
            return
        regions.append(p.parse_region(st.op, st.entry_args.pop(self.name, []), self.isolated,
                                      skim))

    def can_start(self, p: Parser, st: OpState) -> bool:
        return p.at("{")

    def present(self, st: PrintState) -> bool:
        return any(r.blocks for r in st.regions.get(self.name, []))

    def print(self, out: Out, st: PrintState) -> None:
        declared = self.name in st.syntax.declared_args
        for i, region in enumerate(st.regions.get(self.name, [])):
            if i:
                out.punct(",")
            out.region(region, entry_args=not declared)

    def first_literal(self) -> str | None:
        return "{"


class SuccessorRef(Directive):
    """`$dest`: a block reference; its operands are bound by the following group."""

    def __init__(self, name: str, group: str) -> None:
        self.name = name
        self.group = group

    def parse(self, p: Parser, st: OpState) -> None:
        block = p.parse_successor()
        start = len(st.operands.get(self.group, []))
        st.successors.append((block, self.group, start, -1))

    def can_start(self, p: Parser, st: OpState) -> bool:
        return p.at_caret()

    def print(self, out: Out, st: PrintState) -> None:
        for block, _ in st.successors.get(self.name, []):
            out.word(block.label)


class FunctionalType(Directive):
    """`functional-type($operands, $results)`: `(T, T) -> T` or `-> (T, T)`."""

    def __init__(self, operands: str, results: str) -> None:
        self.operands = operands
        self.results = results

    def parse(self, p: Parser, st: OpState) -> None:
        st.types.setdefault(self.operands, []).extend(p.paren_list(p.typed))
        p.expect("->")
        st.types.setdefault(self.results, []).extend(p.parse_result_type_list())

    def print(self, out: Out, st: PrintState) -> None:
        out.punct("(")
        out.types([v.type for v in st.groups.get(self.operands, [])])
        out.punct(")")
        out.punct("->")
        out.result_types([r.type for r in st.result_groups.get(self.results, [])])


class Group(Directive):
    """`( elements )?` with an anchor, optionally `: ( else-elements )`."""

    def __init__(self, elements: list[Directive], anchor: Directive | None,
                 otherwise: list[Directive]) -> None:
        self.elements = elements
        self.anchor = anchor
        self.otherwise = otherwise
        self.first = next((e for e in elements
                           if not (isinstance(e, Literal) and e.spacing)), elements[0])
        # `{` $dims `}`: a dims list, not an attribute dictionary that follows (iree-opt
        # prints `-> tensor<1xi32> {attrs}` for hal.tensor.import, though it cannot read it
        # back; reading it is unambiguous: `{name = ...` is no operand list).
        i = elements.index(self.first)
        self.dims_group = isinstance(self.first, Literal) and self.first.text == "{" and \
            i + 1 < len(elements) and isinstance(elements[i + 1], OperandRef)
        # For `parse`: the literal the group starts with (when that decides), the literal an
        # absent group would have started with, and the parse methods.
        self.first_text = self.first.text if isinstance(self.first, Literal) and \
            not self.first.spacing and not self.dims_group else None
        self.absent_literal = self.first.first_literal()
        self.element_parsers = [e.parse for e in elements]
        self.otherwise_parsers = [e.parse for e in otherwise]

    def _first(self) -> Directive:
        return self.first

    def _starts(self, p: Parser, st: OpState) -> bool:
        if self.dims_group:
            return p.at_dims()
        return self.first.can_start(p, st)

    def parse(self, p: Parser, st: OpState) -> None:
        text = self.first_text
        if text is not None:
            pos = p.pos
            starts = p.texts[pos] == text and p.kinds[pos] in ("punct", "bare")
        else:
            starts = self._starts(p, st)
        if starts:
            for parse in self.element_parsers:
                parse(p, st)
            return
        p.absent_group(self.absent_literal)
        for parse in self.otherwise_parsers:
            parse(p, st)

    def can_start(self, p: Parser, st: OpState) -> bool:
        return self._starts(p, st)

    def present(self, st: PrintState) -> bool:
        anchor = self.anchor or self._first()
        return anchor.present(st)

    def print(self, out: Out, st: PrintState) -> None:
        if self.present(st):
            for element in self.elements:
                element.print(out, st)
        else:
            for element in self.otherwise:
                element.print(out, st)

    def first_literal(self) -> str | None:
        return None


class Custom(Directive):
    """`custom<Name>(args)`: op-specific syntax implemented in `format_custom`."""

    def __init__(self, impl: Any, args: list[tuple[str, str]]) -> None:
        self.impl = impl
        self.args = args

    def parse(self, p: Parser, st: OpState) -> None:
        self.impl.parse(p, st, self.args)

    def can_start(self, p: Parser, st: OpState) -> bool:
        return bool(self.impl.can_start(p, st, self.args))

    def present(self, st: PrintState) -> bool:
        return bool(self.impl.present(st, self.args))

    def print(self, out: Out, st: PrintState) -> None:
        self.impl.print(out, st, self.args)


@dataclass
class CompiledSyntax:
    """A compiled op syntax: declarations and the directive list."""

    name: str
    source: OpSyntax
    operands: list[Decl]
    results: list[Decl]
    attrs: dict[str, str]
    regions: list[tuple[str, bool]]
    successors: dict[str, str]
    directives: list[Directive]
    infer: dict[str, str]
    isolated: bool
    segments: bool
    declared_args: frozenset[str] = frozenset()  # regions whose entry args a custom declares
    # The attributes whose `@refs` the custom form records in `op.symbols`, in format order,
    # with their kinds; and the operand group that `tied_operands` indexes (the generic form
    # fills `symbols` and `tied` from its properties through these).
    symbol_attrs: tuple[tuple[str, str], ...] = ()
    tied_group: str | None = None
    operand_types: dict[str, str] = field(default_factory=dict)  # see OpSyntax
    # The directives' parse methods, spacing literals left out (they parse nothing).
    parsers: list[Callable[[Parser, OpState], None]] = field(default_factory=list)
    skim: bool = False  # source.skim

    operand_names: tuple[str, ...] = ()  # the operand groups' names, in ODS order

    def __post_init__(self) -> None:
        self.parsers = [d.parse for d in self.directives
                        if not (isinstance(d, Literal) and d.spacing)]
        self.skim = self.source.skim
        self.operand_names = tuple(d.name for d in self.operands)

    def parse(self, p: Parser, st: OpState) -> None:
        """Run the format over the parser's tokens."""
        for parse in self.parsers:
            parse(p, st)

    def print(self, out: Out, st: PrintState) -> None:
        """Print an op through the format."""
        for directive in self.directives:
            directive.print(out, st)

    def symbols_of(self, attrs: dict[str, str]) -> list[str]:
        """The `@refs` the custom form would record for these attribute values."""
        out: list[str] = []
        for name, kind in self.symbol_attrs:
            text = attrs.get(name)
            if text is None:
                continue
            refs = [symbol_of(text)] if kind == "symname" else [symbol_ref(text)] \
                if kind == "symref" else [symbol_ref(m.group()) for m in _SYMBOL_REF.finditer(text)]
            out.extend(r for r in refs if r not in out)  # `@a as(@a)` is `@a`
        return out

    def group_spans(self, n_operands: int, segments: list[int] | None
                    ) -> dict[str, tuple[int, int]] | None:
        """(start, length) of each operand group of an op with `n_operands` operands, from
        its `operandSegmentSizes` or, without them, when at most one group is not single."""
        sizes: list[int]
        if segments is not None and len(segments) == len(self.operands):
            sizes = segments
        else:
            open_groups = [d for d in self.operands if d.kind != "single"]
            if len(open_groups) > 1:
                return None
            rest = n_operands - (len(self.operands) - len(open_groups))
            sizes = [1 if d.kind == "single" else rest for d in self.operands]
        if sum(sizes) != n_operands or min(sizes, default=0) < 0:
            return None
        out: dict[str, tuple[int, int]] = {}
        start = 0
        for decl, size in zip(self.operands, sizes, strict=True):
            out[decl.name] = (start, size)
            start += size
        return out

    def tied_of(self, attrs: dict[str, str], segments: list[int] | None) -> dict[int, int]:
        """result -> operand index from a `tied_operands = [i : index, ...]` property (-1:
        untied); indices count from the start of the tied operand group."""
        text = attrs.get("tied_operands")
        if not text:
            return {}
        base = 0
        if self.tied_group is not None:
            for k, decl in enumerate(self.operands):
                if decl.name == self.tied_group:
                    break
                base += segments[k] if segments and k < len(segments) else 1
        out: dict[int, int] = {}
        for index, m in enumerate(_INDEX_ITEM.finditer(text)):
            value = int(m.group(1))
            if value >= 0:
                out[index] = base + value
        return out


def symbol_string(text: str) -> str:
    """`@name` as a SymbolNameAttr string `"name"`."""
    body = text[1:]
    return body if body.startswith('"') else f'"{body}"'


_REF_PART = r'@(?:"(?:[^"\\]|\\.)*"|[\w$.\-]+)'
_SYMBOL_REF = re.compile(_REF_PART + r"(?:::" + _REF_PART + r")*")
_INDEX_ITEM = re.compile(r"(-?\d+)(?:\s*:\s*index)?")
_FORMAT_TOKEN = re.compile(
    r"\s*(?:(`[^`]*`)|(\$\w+\^?)|(custom<\w+>)|(attr-dict-with-keyword|attr-dict|"
    r"functional-type|type|ref|qualified|regions|results)|(\(|\)\?|\)|:|,|\^))")


def _decls(text: str) -> list[Decl]:
    out = []
    for item in text.split():
        if item.endswith("?"):
            out.append(Decl(item[:-1], "optional"))
        elif item.endswith("*"):
            out.append(Decl(item[:-1], "variadic"))
        else:
            out.append(Decl(item, "single"))
    return out


class _Compiler:
    def __init__(self, name: str, syntax: OpSyntax, customs: dict[str, Any]) -> None:
        self.name = name
        self.syntax = syntax
        self.customs = customs
        self.operands = {d.name: d for d in _decls(syntax.operands)}
        self.results = {d.name: d for d in _decls(syntax.results)}
        self.attrs: dict[str, str] = {}
        for item in syntax.attrs.split():
            key, _, kind = item.partition(":")
            self.attrs[key] = kind or "any"
        self.regions: dict[str, bool] = {}
        for item in syntax.regions.split():
            self.regions[item.rstrip("*")] = item.endswith("*")
        self.successors: dict[str, str] = {}
        for item in syntax.successors.split():
            key, _, group = item.partition(":")
            self.successors[key] = group
        self.tokens = self._tokenize(syntax.format)
        self.pos = 0
        self.anchors: list[Directive] = []
        self.declared: set[str] = set()

    def _tokenize(self, text: str) -> list[str]:
        out = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _FORMAT_TOKEN.match(text, pos)
            if m is None:
                raise ValueError(f"{self.name}: bad format at {text[pos:]!r}")
            out.append(m.group().strip())
            pos = m.end()
        return out

    def _merge_literals(self) -> None:
        """`:` `` `:` is one `::` token in MLIR's lexer (so is `->`); `=` `` `>` stays two
        tokens (MLIR has no `=>` token: `= >` and `=\n>` are read alike)."""
        toks = self.tokens
        i = 0
        while i + 2 < len(toks):
            pair = toks[i][1:-1] + toks[i + 2][1:-1]
            if toks[i + 1] == "``" and pair in ("::", "->") and \
                    toks[i].startswith("`") and toks[i + 2].startswith("`"):
                toks[i:i + 3] = [f"`{pair}`"]
            i += 1

    def _peek(self) -> str:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ""

    def _next(self) -> str:
        tok = self._peek()
        self.pos += 1
        return tok

    def compile(self) -> CompiledSyntax:
        directives = self._elements(top=True)
        segments = self.syntax.segments
        if segments is None:
            segments = sum(1 for d in self.operands.values() if d.kind != "single") > 1
        return CompiledSyntax(
            self.name, self.syntax, list(self.operands.values()), list(self.results.values()),
            self.attrs, list(self.regions.items()), self.successors, directives,
            dict(self.syntax.infer), self.syntax.isolated, segments,
            frozenset(self.declared), tuple(self._symbol_attrs(directives)),
            self._tied_group(directives), self._operand_types())

    def _operand_types(self) -> dict[str, str]:
        out = dict(self.syntax.operand_types)
        for name, rule in out.items():
            source = rule.lstrip("%")
            if name not in self.operands or not (rule.startswith("=") or
                                                 source in self.operands or
                                                 source in self.results):
                raise ValueError(f"{self.name}: operand type rule {name} -> {rule} names "
                                 "an undeclared group")
        return out

    def _symbol_attrs(self, directives: list[Directive]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for d in directives:
            if isinstance(d, AttrRef) and d.kind in ("symref", "symname"):
                out.append((d.name, d.kind))
            elif isinstance(d, Group):
                out.extend(self._symbol_attrs(d.elements + d.otherwise))
            elif isinstance(d, Custom):
                out.extend((n, self.attrs.get(n, "any")) for k, n in d.args
                           if k == "attr" and n != "tied_operands" and
                           self.attrs.get(n, "any") in ("symref", "symname", "any"))
        return out

    def _tied_group(self, directives: list[Directive]) -> str | None:
        """The first operand group of the custom directive that spells tied results."""
        for d in directives:
            if isinstance(d, Custom) and any(k == "result" or n == "tied_operands"
                                             for k, n in d.args):
                for k, n in d.args:
                    if k in ("operand", "ref-operand"):
                        return n
        return None

    def _elements(self, top: bool) -> list[Directive]:
        out: list[Directive] = []
        self._merge_literals()
        while self.pos < len(self.tokens):
            tok = self._peek()
            if tok in (")", ")?"):
                if top:
                    raise ValueError(f"{self.name}: unbalanced ')'")
                return out
            out.append(self._element())
            if self._peek() == "^":
                self._next()
                self.anchors.append(out[-1])
        return out

    def _element(self) -> Directive:
        tok = self._next()
        if tok.startswith("`"):
            return Literal(tok[1:-1])
        if tok.startswith("$"):
            return self._ref(tok.rstrip("^")[1:])
        if tok in ("attr-dict", "attr-dict-with-keyword"):
            return AttrDict(tok == "attr-dict-with-keyword")
        if tok == "regions":
            return RegionRef("regions", True, self.syntax.isolated)
        if tok in ("type", "qualified"):
            return self._type()
        if tok == "functional-type":
            self._expect("(")
            a = self._next()[1:]
            self._expect(",")
            b = self._next()
            b = b[1:] if b.startswith("$") else b
            self._expect(")")
            return FunctionalType(a, b)
        if tok.startswith("custom<"):
            impl = self.customs[tok[7:-1]]
            self._expect("(")
            args: list[tuple[str, str]] = []
            while self._peek() != ")":
                args.append(self._custom_arg())
                if self._peek() == ",":
                    self._next()
            self._next()
            self.declared.update(n for k, n in args if k == "region")
            return Custom(impl, args)
        if tok == "(":
            return self._group()
        raise ValueError(f"{self.name}: unexpected {tok!r} in format")

    def _custom_arg(self) -> tuple[str, str]:
        tok = self._next()
        if tok == "ref":
            self._expect("(")
            inner = self._custom_arg()
            self._expect(")")
            return ("ref-" + inner[0], inner[1])
        if tok == "type":
            self._expect("(")
            name = self._next()[1:]
            self._expect(")")
            return ("type", name)
        name = tok[1:]
        if name in self.operands:
            return ("operand", name)
        if name in self.regions:
            return ("region", name)
        if name in self.results:
            return ("result", name)
        return ("attr", name)

    def _type(self) -> Directive:
        self._expect("(")
        tok = self._next()
        if tok == "type":
            self._expect("(")
            tok = self._next()
            self._expect(")")
        self._expect(")")
        name = tok[1:]
        if name in self.results:
            return TypeRef(name, self.results[name].kind, True)
        if name in self.operands:
            return TypeRef(name, self.operands[name].kind, False)
        raise ValueError(f"{self.name}: type of unknown {name!r}")

    def _ref(self, name: str) -> Directive:
        if name in self.operands:
            return OperandRef(self.operands[name])
        if name in self.regions:
            return RegionRef(name, self.regions[name], self.syntax.isolated)
        if name in self.successors:
            return SuccessorRef(name, self.successors[name])
        if name in self.attrs:
            return AttrRef(name, self.attrs[name])
        raise ValueError(f"{self.name}: ${name} is not declared")

    def _group(self) -> Directive:
        start = self.pos
        n_anchors = len(self.anchors)
        elements = self._elements(top=False)
        close = self._next()
        anchor = self.anchors[-1] if len(self.anchors) > n_anchors else None
        for tok in self.tokens[start:self.pos]:
            if tok.endswith("^") and tok.startswith("$"):
                anchor = self._ref(tok[1:-1])
        otherwise: list[Directive] = []
        if close == ")" and self._peek() == ":":
            self._next()
            self._expect("(")
            otherwise = self._elements(top=False)
            if self._next() != ")?":
                raise ValueError(f"{self.name}: expected ')?' after the else group")
        elif close != ")?":
            raise ValueError(f"{self.name}: expected ')?'")
        if anchor is not None:
            # The printer asks the anchor; reuse the parsed element when it is the same ref.
            for element in elements:
                if isinstance(element, (OperandRef, AttrRef, RegionRef)) and _same(element,
                                                                                    anchor):
                    anchor = element
        return Group(elements, anchor, otherwise)

    def _expect(self, tok: str) -> None:
        got = self._next()
        if got != tok:
            raise ValueError(f"{self.name}: expected {tok!r} in format, got {got!r}")


def _same(a: Directive, b: Directive) -> bool:
    return type(a) is type(b) and getattr(a, "name", None) == getattr(b, "name", None) and \
        getattr(getattr(a, "decl", None), "name", None) == getattr(getattr(b, "decl", None),
                                                                   "name", None)


def compile_syntax(name: str, syntax: OpSyntax, customs: dict[str, Any]) -> CompiledSyntax:
    """Compile one op's syntax row into directives (raises ValueError on a bad format)."""
    return _Compiler(name, syntax, customs).compile()
