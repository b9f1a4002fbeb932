"""The in-memory IR: modules, operations, regions, blocks and SSA values with use lists.

The IR is structural: it records what every op has (results, operands, successors, regions,
attributes, types) whether or not the project knows the op. What an op *means* lives in
`placement.ops` (the op table); nothing here is op-specific.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

# A symbol MLIR prints bare (`@name`); any other name prints quoted (`@"w_#x<@d>"`).
_BARE_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_$.]*\Z")
_QUOTED_SYMBOL = re.compile(r'@"((?:[^"\\]|\\.)*)"')


def symbol_ref(text: str) -> str:
    """The one identity of a symbol reference (`@a`, `@"a"`, `@ex::@"e"`): each part as MLIR
    prints it, bare where its quoted text is a bare identifier (`@"a"` and `@a` are one
    symbol), quoted otherwise. The source text is kept for printing; this is for lookups."""
    if '"' not in text:
        return text
    return _QUOTED_SYMBOL.sub(
        lambda m: "@" + m.group(1) if _BARE_SYMBOL.match(m.group(1)) else m.group(), text)


def symbol_of(text: str) -> str:
    """`"name"` (a SymbolNameAttr's string) as the `@name` it prints as (its identity, as
    `symbol_ref`), and a `@ref` unchanged."""
    if text.startswith('"'):
        inner = text[1:-1]
        return "@" + inner if _BARE_SYMBOL.match(inner) else "@" + text
    return text


@dataclass(frozen=True, slots=True)
class Location:
    """A position in a source file (1-based line and column) plus the byte offset."""

    file: str
    line: int
    col: int
    offset: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(eq=False, slots=True)
class Use:
    """One use of a value: operand `index` of op `owner`."""

    owner: Operation
    index: int


class Value:
    """An SSA value: an op result or a block argument."""

    __slots__ = ("type", "name", "uses", "loc")

    def __init__(self, type: str, name: str, loc: Location | None) -> None:
        self.type = type
        self.name = name
        self.uses: list[Use] = []
        self.loc = loc

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {self.type}>"


class OpResult(Value):
    """Result number `index` of op `owner`."""

    __slots__ = ("owner", "index")

    def __init__(self, owner: Operation, index: int, type: str, name: str,
                 loc: Location | None) -> None:
        # (Value.__init__ inlined: the parser makes one per result)
        self.type = type
        self.name = name
        self.uses: list[Use] = []
        self.loc = loc
        self.owner = owner
        self.index = index


class BlockArgument(Value):
    """Argument number `index` of block `owner`."""

    __slots__ = ("owner", "index")

    def __init__(self, owner: Block, index: int, type: str, name: str,
                 loc: Location | None) -> None:
        self.type = type
        self.name = name
        self.uses: list[Use] = []
        self.loc = loc
        self.owner = owner
        self.index = index


@dataclass(slots=True)
class SyntaxInfo:
    """Where the pieces of an op stand in its source text (byte offsets), for the printer."""

    start: int = 0  # first character of the op (results or name)
    name_end: int = 0  # just after the op name
    end: int = 0  # just after the last character of the op
    first_group_end: int = -1  # just after the first top-level (...) group, if any
    first_colon: int = -1  # the first top-level ':' or '=' after the name, if any
    first_fat_arrow: int = -1  # the first top-level '=>' after the name, if any
    attr_dict: tuple[int, int] | None = None  # span of the '{...}' attribute dictionary
    attr_keyword: int = -1  # offset of the 'attributes' keyword, if any
    generic: bool = False  # printed in MLIR's generic form in the source
    strings: list[str] = field(default_factory=list)  # top-level string literals, in order
    # Where the format's attr-dict stands: (offset to insert at, with the 'attributes' keyword).
    attr_anchor: tuple[int, bool] | None = None
    dict_needs_generic: bool = False  # a dictionary there would read as an absent `{` group
    segments: list[int] = field(default_factory=list)  # operand group sizes (ODS order)
    signature: str = ""  # a function's signature as written (`(%a: T) -> T`)


@dataclass(eq=False, slots=True)
class Operation:
    """An operation, known to the op table or not.

    `attributes` maps the names of the attribute dictionary to their source text; `syntax_attrs`
    holds the properties `<{...}>` of the generic form and the attributes a custom syntax spells
    with a keyword (`on(#x)` is stored as `on`, `to #x` as `to`). `symbols` are the `@refs` of
    the custom syntax in source order. `tied` maps a result index to the operand index it
    aliases, as the syntax spells it (`-> %x`); the op table adds fixed ties.
    """

    name: str
    loc: Location
    operands: list[Value] = field(default_factory=list)
    results: list[OpResult] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    successors: list[Block] = field(default_factory=list)
    successor_operands: list[tuple[int, int]] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    syntax_attrs: dict[str, str] = field(default_factory=dict)
    symbols: list[str] = field(default_factory=list)
    tied: dict[int, int] = field(default_factory=dict)
    parent: Block | None = None
    syntax: SyntaxInfo = field(default_factory=SyntaxInfo)
    row: Any = None  # cache of the op-table row (placement.ops.info)
    # Changed since parsing: `placement.ir.printer.print_ir` prints it from the IR.
    modified: bool = False
    # Only the attribute dictionary changed since parsing: only the dictionary is re-printed.
    attributes_modified: bool = False

    def attr(self, name: str) -> str | None:
        """The source text of attribute `name`, from the dictionary or the syntax."""
        value = self.attributes.get(name)
        return value if value is not None else self.syntax_attrs.get(name)

    def attr_value(self, name: str, module: Module) -> Any:
        """The typed value (`placement.ir.attributes`) of attribute `name`, None when absent;
        parsed once per text and module (aliases expanded); a malformed value is a located
        error at its text in the source."""
        text = self.attr(name)
        if text is None:
            return None
        return module.attribute_value(text, self.syntax.start)

    @property
    def parent_op(self) -> Operation | None:
        """The op whose region holds this op, if any."""
        block = self.parent
        if block is None or block.parent is None:
            return None
        return block.parent.parent

    def ancestors(self) -> Iterator[Operation]:
        """This op, then every enclosing op up to the root."""
        op: Operation | None = self
        while op is not None:
            yield op
            op = op.parent_op

    def walk(self) -> Iterator[Operation]:
        """Every op nested in this one, in pre-order, this op first."""
        stack: list[Operation] = [self]
        while stack:
            op = stack.pop()
            yield op
            for region in reversed(op.regions):
                for block in reversed(region.blocks):
                    stack.extend(reversed(block.ops))

    def walk_postorder(self) -> Iterator[Operation]:
        """Every op nested in this one, children before parents, this op last."""
        stack: list[tuple[Operation, bool]] = [(self, False)]
        while stack:
            op, expanded = stack.pop()
            if expanded:
                yield op
                continue
            stack.append((op, True))
            for region in reversed(op.regions):
                for block in reversed(region.blocks):
                    stack.extend((child, False) for child in reversed(block.ops))

    def operand_uses(self) -> Iterator[Use]:
        """The uses this op makes, in operand order."""
        for i, value in enumerate(self.operands):
            for use in value.uses:
                if use.owner is self and use.index == i:
                    yield use
                    break

    def __repr__(self) -> str:
        return f"<Operation {self.name} at {self.loc}>"


@dataclass(eq=False, slots=True)
class Block:
    """A basic block: arguments and a list of ops; the last op is its terminator."""

    label: str = ""
    arguments: list[BlockArgument] = field(default_factory=list)
    ops: list[Operation] = field(default_factory=list)
    parent: Region | None = None
    loc: Location | None = None

    @property
    def terminator(self) -> Operation | None:
        """The last op of the block, if any."""
        return self.ops[-1] if self.ops else None

    def add_argument(self, type: str, name: str, loc: Location | None) -> BlockArgument:
        """Append a new argument to the block and return it."""
        arg = BlockArgument(self, len(self.arguments), type, name, loc)
        self.arguments.append(arg)
        return arg

    def is_entry(self) -> bool:
        """Whether this block is the first block of its region."""
        return self.parent is not None and self.parent.blocks[0] is self

    @property
    def predecessors(self) -> list[Operation]:
        """Terminators that branch to this block (one entry per successor slot)."""
        if self.parent is None:
            return []
        return [
            block.ops[-1]
            for block in self.parent.blocks
            if block.ops
            for succ in block.ops[-1].successors
            if succ is self
        ]


@dataclass(eq=False, slots=True)
class Region:
    """A region: a list of blocks owned by an op."""

    blocks: list[Block] = field(default_factory=list)
    parent: Operation | None = None
    start: int = 0  # offset of '{'
    end: int = 0  # offset just after '}'
    # An executable body that holds ops unknown to the op table: kept verbatim (source span
    # [start, end)), with no blocks; analyses never enter it.
    opaque: bool = False

    @property
    def entry(self) -> Block | None:
        """The entry block, if the region has any blocks."""
        return self.blocks[0] if self.blocks else None


def _constructor(cls: type, *params: str) -> Callable[..., Any]:
    """A fast positional constructor of the (non-frozen) dataclass `cls`: the `params` fields
    as given, every other field at its default, as `cls(...)` sets them (a list or dict
    factory as a literal). For the parser, which makes one op and one SyntaxInfo per op."""
    env: dict[str, Any] = {"_new": cls.__new__, "_cls": cls}
    lines = [f"def new({', '.join(params)}):", "    obj = _new(_cls)"]
    for f in fields(cls):
        if f.name in params:
            value = f.name
        elif f.default_factory is list:
            value = "[]"
        elif f.default_factory is dict:
            value = "{}"
        elif f.default_factory is not MISSING:
            env[f"_f_{f.name}"] = f.default_factory
            value = f"_f_{f.name}()"
        elif f.default is not MISSING:
            env[f"_d_{f.name}"] = f.default
            value = f"_d_{f.name}"
        else:
            raise TypeError(f"{cls.__name__}.{f.name} has no default")
        lines.append(f"    obj.{f.name} = {value}")
    lines.append("    return obj")
    exec("\n".join(lines), env)  # (code built from the class's own fields)
    return env["new"]


# `new_operation(name, loc, syntax)` is `Operation(name, loc, syntax=syntax)`;
# `new_syntax(start)` is `SyntaxInfo(start=start)`.
new_operation: Callable[[str, Location, SyntaxInfo], Operation] = _constructor(
    Operation, "name", "loc", "syntax")
new_syntax: Callable[[int], SyntaxInfo] = _constructor(SyntaxInfo, "start")


def add_use(op: Operation, value: Value) -> None:
    """Append `value` as the next operand of `op` and record the use."""
    value.uses.append(Use(op, len(op.operands)))
    op.operands.append(value)


@dataclass(eq=False)
class Module:
    """A parsed input: the root op (an explicit or implicit `builtin.module`) and its source."""

    root: Operation
    source: str
    filename: str
    attribute_aliases: dict[str, str] = field(default_factory=dict)
    type_aliases: dict[str, str] = field(default_factory=dict)
    comments: list[tuple[int, int]] = field(default_factory=list)
    implicit_root: bool = False
    alias_spans: list[tuple[int, int]] = field(default_factory=list)
    # Source spans of ops erased since parsing (`placement.ir.rewrite`); the printer drops them.
    erased: list[tuple[int, int]] = field(default_factory=list)
    _attribute_parser: Any = field(default=None, init=False, repr=False)

    def attribute_value(self, text: str, near: int = 0) -> Any:
        """The typed value of an attribute or type text of this module (cached by text);
        errors are located at the text's first occurrence at or after offset `near`."""
        parser = self._attribute_parser
        if parser is None:
            from placement.ir.attributes import AttributeParser

            parser = AttributeParser(self)
            self._attribute_parser = parser
        at = self.source.find(text, near)
        return parser.parse_at(text, at if at >= 0 else near)

    @property
    def body(self) -> Block:
        """The top-level block of the module."""
        return self.root.regions[0].blocks[0]

    def top_level_ops(self) -> list[Operation]:
        """The ops directly in the module body."""
        return self.body.ops

    def resolve_type(self, text: str) -> str:
        """Expand a type alias (`!name`) to its definition, repeatedly."""
        seen = 0
        while text in self.type_aliases and seen < 64:
            text = self.type_aliases[text]
            seen += 1
        return text

    def resolve_attribute(self, text: str) -> str:
        """Expand an attribute alias (`#name`) to its definition, repeatedly."""
        seen = 0
        while text in self.attribute_aliases and seen < 64:
            text = self.attribute_aliases[text]
            seen += 1
        return text
