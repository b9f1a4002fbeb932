"""Structured MLIR attribute and type values, parsed on demand with a lark (LALR) grammar.

The IR keeps attribute and type values as source text; this module turns such a text into
typed, frozen, hashable Python values, so that equality is structural (MLIR uniques attributes,
so two spellings of one attribute compare equal here too: aliases are expanded, dictionaries
are sorted by key, floats are numbers).

Dialect attributes and types (`#dialect.name<...>`, `!dialect.name<...>`) have dialect-specific
bodies; the grammar reads them as a generic parameter list (`key = value`, positional values,
`a::b` scoped strings, `a|b` flag sets, nested `<...>` groups), which covers every attribute the
project meets. Builtin types (`tensor<...>`, `vector<...>`, `complex<...>`), `affine_map<...>`,
`dense<...>`, arrays, dictionaries, strings, numbers and symbol references get their own nodes.

Use `AttributeParser(module)` (aliases resolved through `module.resolve_attribute` /
`resolve_type`, results cached) or the module-free `parse_attribute` / `parse_type`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Union

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

from placement.diagnostics import PlacementError

if TYPE_CHECKING:
    from placement.ir.core import Module


# ------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class Bare:
    """A bare identifier: a keyword (`matmul`, `unit`), a builtin scalar type (`f32`, `index`)."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Integer:
    value: int

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Float:
    value: float

    def __str__(self) -> str:
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class String:
    value: str

    def __str__(self) -> str:
        return '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Dynamic:
    """`?`: a dynamic size."""

    def __str__(self) -> str:
        return "?"


@dataclass(frozen=True, slots=True)
class Star:
    """`*` (as in `!stream.resource<*>`)."""

    def __str__(self) -> str:
        return "*"


@dataclass(frozen=True, slots=True)
class Typed:
    """`value : type`, e.g. `1 : index`."""

    value: Value
    type: Value

    def __str__(self) -> str:
        return f"{self.value} : {self.type}"


@dataclass(frozen=True, slots=True)
class Scoped:
    """`"scope"::"key"` (scoped strings, as in `#stream.parameter.named<"model"::"w">`)."""

    parts: tuple[Value, ...]

    def __str__(self) -> str:
        return "::".join(str(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class Flags:
    """`a|b|c`: a bit-enum set."""

    names: tuple[str, ...]

    def __str__(self) -> str:
        return "|".join(self.names)


@dataclass(frozen=True, slots=True)
class SymbolRef:
    """`@root::@nested`."""

    path: tuple[str, ...]

    @property
    def root(self) -> str:
        return self.path[0]

    def __str__(self) -> str:
        return "::".join("@" + p for p in self.path)


@dataclass(frozen=True, slots=True)
class Array:
    items: tuple[Value, ...]

    def __str__(self) -> str:
        return "[" + ", ".join(str(i) for i in self.items) + "]"


@dataclass(frozen=True, slots=True)
class Dictionary:
    """`{a = 1, b}`; entries sorted by name (unit entries have value `Bare("unit")`)."""

    entries: tuple[tuple[str, Value], ...]

    def get(self, key: str) -> Value | None:
        for k, v in self.entries:
            if k == key:
                return v
        return None

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k} = {v}" for k, v in self.entries) + "}"


@dataclass(frozen=True, slots=True)
class Param:
    """`key = value` inside a dialect attribute's parameter list."""

    key: str
    value: Value

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"


@dataclass(frozen=True, slots=True)
class Group:
    """A nested `<...>` parameter group without a name (as in `wgp = <compute = fp32>`)."""

    params: tuple[Value, ...]

    def __str__(self) -> str:
        return "<" + ", ".join(str(p) for p in self.params) + ">"


@dataclass(frozen=True, slots=True)
class DialectAttr:
    """`#dialect.name` or `#dialect.name<params>` (`params` is None without `<>`)."""

    name: str
    params: tuple[Value, ...] | None = None

    def param(self, key: str) -> Value | None:
        """The value of `key = value` among the parameters."""
        for p in self.params or ():
            if isinstance(p, Param) and p.key == key:
                return p.value
        return None

    def positional(self) -> list[Value]:
        """The parameters that are not `key = value`."""
        return [p for p in self.params or () if not isinstance(p, Param)]

    def __str__(self) -> str:
        if self.params is None:
            return "#" + self.name
        return "#" + self.name + "<" + ", ".join(str(p) for p in self.params) + ">"


@dataclass(frozen=True, slots=True)
class DialectType:
    """`!dialect.name` or `!dialect.name<params>`."""

    name: str
    params: tuple[Value, ...] | None = None

    def __str__(self) -> str:
        if self.params is None:
            return "!" + self.name
        return "!" + self.name + "<" + ", ".join(str(p) for p in self.params) + ">"


@dataclass(frozen=True, slots=True)
class ShapedType:
    """`tensor<4x?xf32, #enc>`, `vector<4xf32>`, `memref<...>`: dims are None when dynamic."""

    kind: str
    shape: tuple[int | None, ...]
    element: Value
    encoding: Value | None = None

    @property
    def rank(self) -> int:
        return len(self.shape)

    def with_encoding(self, encoding: Value | None) -> ShapedType:
        return ShapedType(self.kind, self.shape, self.element, encoding)

    def shape_text(self) -> str:
        return "".join(("?" if d is None else str(d)) + "x" for d in self.shape)

    def __str__(self) -> str:
        enc = "" if self.encoding is None else f", {self.encoding}"
        return f"{self.kind}<{self.shape_text()}{self.element}{enc}>"


@dataclass(frozen=True, slots=True)
class ComplexType:
    element: Value

    def __str__(self) -> str:
        return f"complex<{self.element}>"


@dataclass(frozen=True, slots=True)
class AffineMap:
    """`affine_map<(d0, d1)[s0] -> (d0, d1 + s0)>`; results are kept as normalized text."""

    dims: tuple[str, ...]
    symbols: tuple[str, ...]
    results: tuple[str, ...]

    @property
    def num_results(self) -> int:
        return len(self.results)

    def result_dim(self, i: int) -> int | None:
        """The dim position when result i is a plain dim, else None."""
        r = self.results[i]
        return self.dims.index(r) if r in self.dims else None

    def __str__(self) -> str:
        syms = "[" + ", ".join(self.symbols) + "]" if self.symbols else ""
        return f"affine_map<({', '.join(self.dims)}){syms} -> ({', '.join(self.results)})>"


@dataclass(frozen=True, slots=True)
class Builtin:
    """Other `name<...>` builtins (`dense<...>`, `array<i64: 1, 2>`, `dense_resource<...>`)."""

    name: str
    params: tuple[Value, ...]

    def __str__(self) -> str:
        return self.name + "<" + ", ".join(str(p) for p in self.params) + ">"


@dataclass(frozen=True, slots=True)
class FunctionType:
    inputs: tuple[Value, ...]
    results: tuple[Value, ...]

    def __str__(self) -> str:
        return f"({', '.join(map(str, self.inputs))}) -> ({', '.join(map(str, self.results))})"


Value = Union[  # noqa: UP007 (a runtime alias; `X | Y` of classes is not hashable text)
    Bare, Integer, Float, String, Dynamic, Star, Typed, Scoped, Flags, SymbolRef, Array,
    Dictionary, Param, Group, DialectAttr, DialectType, ShapedType, ComplexType, AffineMap,
    Builtin, FunctionType]


# ------------------------------------------------------------------ grammar

_GRAMMAR = r"""
?start: value

?value: atom
      | atom ":" atom            -> typed
      | atom "::" scoped_rest    -> scoped

scoped_rest: atom ("::" atom)*

?atom: INT                        -> integer
     | FLOAT                      -> float_
     | "-" INT                    -> neg_integer
     | "-" FLOAT                  -> neg_float
     | STRING                     -> string
     | "?"                        -> dynamic
     | "*"                        -> star
     | symbol_ref
     | NAME                       -> bare
     | NAME ("|" NAME)+           -> flags
     | HASH_NAME                  -> hash_attr
     | HASH_NAME "<" params ">"   -> hash_attr_params
     | BANG_NAME                  -> bang_type
     | BANG_NAME "<" params ">"   -> bang_type_params
     | "<" params ">"             -> group
     | "[" params "]"             -> array
     | "{" dict_entries "}"       -> dictionary
     | "(" params ")" "->" fn_results -> function_type
     | shaped
     | "complex" "<" value ">"    -> complex_type
     | "affine_map" "<" affine_body ">"
     | NAME "<" params ">"        -> builtin

fn_results: atom | "(" params ")"

shaped: SHAPED_KW "<" DIMS? value ("," value)? ">"

symbol_ref: SYMBOL ("::" SYMBOL)*

params: (param ("," param)*)?
?param: value
      | NAME "=" value            -> kv_param

dict_entries: (dict_entry ("," dict_entry)*)?
dict_entry: (NAME | STRING) ("=" value)?

affine_body: "(" id_list ")" ("[" id_list "]")? "->" "(" affine_exprs ")"
id_list: (NAME ("," NAME)*)?
affine_exprs: (affine_expr ("," affine_expr)*)?
affine_expr: affine_tok+
affine_tok: NAME | INT | "-" -> minus | "+" -> plus | "*" -> times
          | "(" affine_expr ")" -> paren

SHAPED_KW.3: /(tensor|vector|memref)(?=\s*<)/
DIMS.2: /(?:(?:\d+|\?)x)+/
HASH_NAME: /#[A-Za-z_$.\-][\w$.\-]*/
BANG_NAME: /![A-Za-z_$.\-][\w$.\-]*/
SYMBOL: /@(?:[A-Za-z_$.\-][\w$.\-]*|\d+|"(?:[^"\\\n]|\\.)*")/
NAME: /[A-Za-z_][\w$.]*/
STRING: /"(?:[^"\\\n]|\\.)*"/
FLOAT.2: /\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+/
INT: /0x[0-9A-Fa-f]+|\d+/

%import common.WS
%ignore WS
"""


def _unquote(text: str) -> str:
    try:
        value = ast.literal_eval(text)
        return value if isinstance(value, str) else text[1:-1]
    except (ValueError, SyntaxError):
        return text[1:-1]


class _Build(Transformer[Token, Value]):
    """Builds the value nodes; `#alias`/`!alias` references go through `resolve`."""

    def __init__(self, resolve_attr: Callable[[str], Value | None],
                 resolve_type: Callable[[str], Value | None]) -> None:
        super().__init__()
        self._resolve_attr = resolve_attr
        self._resolve_type = resolve_type

    def integer(self, items: list[Token]) -> Value:
        return Integer(int(items[0], 0))

    def neg_integer(self, items: list[Token]) -> Value:
        return Integer(-int(items[0], 0))

    def float_(self, items: list[Token]) -> Value:
        return Float(float(items[0]))

    def neg_float(self, items: list[Token]) -> Value:
        return Float(-float(items[0]))

    def string(self, items: list[Token]) -> Value:
        return String(_unquote(items[0]))

    def dynamic(self, items: list[Token]) -> Value:
        return Dynamic()

    def star(self, items: list[Token]) -> Value:
        return Star()

    def bare(self, items: list[Token]) -> Value:
        return Bare(str(items[0]))

    def flags(self, items: list[Token]) -> Value:
        return Flags(tuple(str(i) for i in items))

    @v_args(inline=True)
    def typed(self, value: Value, type_: Value) -> Value:
        return Typed(value, type_)

    @v_args(inline=True)
    def scoped(self, first: Value, rest: tuple[Value, ...]) -> Value:
        return Scoped((first, *rest))

    def scoped_rest(self, items: list[Value]) -> tuple[Value, ...]:
        return tuple(items)

    def symbol_ref(self, items: list[Token]) -> Value:
        parts = []
        for tok in items:
            name = str(tok)[1:]
            parts.append(_unquote(name) if name.startswith('"') else name)
        return SymbolRef(tuple(parts))

    def hash_attr(self, items: list[Token]) -> Value:
        name = str(items[0])
        resolved = self._resolve_attr(name)
        if resolved is not None:
            return resolved
        return DialectAttr(name[1:], None)

    def hash_attr_params(self, items: list[object]) -> Value:
        params = items[1]
        assert isinstance(params, tuple)
        # `#x<>` and `#x` are one attribute (`#iree_encoding.identity_resolver<>`).
        return DialectAttr(str(items[0])[1:], params or None)

    def bang_type(self, items: list[Token]) -> Value:
        name = str(items[0])
        resolved = self._resolve_type(name)
        if resolved is not None:
            return resolved
        return DialectType(name[1:], None)

    def bang_type_params(self, items: list[object]) -> Value:
        params = items[1]
        assert isinstance(params, tuple)
        return DialectType(str(items[0])[1:], params)

    def params(self, items: list[Value]) -> tuple[Value, ...]:
        return tuple(items)

    @v_args(inline=True)
    def kv_param(self, key: Token, value: Value) -> Value:
        return Param(str(key), value)

    @v_args(inline=True)
    def group(self, params: tuple[Value, ...]) -> Value:
        return Group(params)

    @v_args(inline=True)
    def array(self, params: tuple[Value, ...]) -> Value:
        return Array(params)

    def dict_entries(self, items: list[tuple[str, Value]]) -> tuple[tuple[str, Value], ...]:
        return tuple(sorted(items, key=lambda kv: kv[0]))

    def dict_entry(self, items: list[object]) -> tuple[str, Value]:
        key = str(items[0])
        if key.startswith('"'):
            key = _unquote(key)
        value = items[1] if len(items) > 1 else Bare("unit")
        assert not isinstance(value, (str, Token))
        return key, value  # type: ignore[return-value]

    @v_args(inline=True)
    def dictionary(self, entries: tuple[tuple[str, Value], ...]) -> Value:
        return Dictionary(entries)

    def fn_results(self, items: list[object]) -> tuple[Value, ...]:
        first = items[0]
        if isinstance(first, tuple):
            return first
        return (first,)  # type: ignore[return-value]

    @v_args(inline=True)
    def function_type(self, inputs: tuple[Value, ...], results: tuple[Value, ...]) -> Value:
        return FunctionType(inputs, results)

    def shaped(self, items: list[object]) -> Value:
        kind = str(items[0])
        rest = list(items[1:])
        shape: tuple[int | None, ...] = ()
        if rest and isinstance(rest[0], Token) and rest[0].type == "DIMS":
            dims = str(rest.pop(0)).split("x")[:-1]
            shape = tuple(None if d == "?" else int(d) for d in dims)
        element = rest[0]
        encoding = rest[1] if len(rest) > 1 else None
        return ShapedType(kind, shape, element, encoding)  # type: ignore[arg-type]

    @v_args(inline=True)
    def complex_type(self, element: Value) -> Value:
        return ComplexType(element)

    @v_args(inline=True)
    def builtin(self, name: Token, params: tuple[Value, ...]) -> Value:
        return Builtin(str(name), params)

    def affine_body(self, items: list[object]) -> Value:
        dims = items[0]
        symbols: object = ()
        results = items[-1]
        if len(items) == 3:
            symbols = items[1]
        return AffineMap(dims, symbols, results)  # type: ignore[arg-type]

    def id_list(self, items: list[Token]) -> tuple[str, ...]:
        return tuple(str(i) for i in items)

    def affine_exprs(self, items: list[str]) -> tuple[str, ...]:
        return tuple(items)

    def affine_expr(self, items: list[str]) -> str:
        return " ".join(items)

    def affine_tok(self, items: list[Token]) -> str:
        return str(items[0])

    def minus(self, items: list[Token]) -> str:
        return "-"

    def plus(self, items: list[Token]) -> str:
        return "+"

    def times(self, items: list[Token]) -> str:
        return "*"

    def paren(self, items: list[str]) -> str:
        return "(" + items[0] + ")"


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False)


# ------------------------------------------------------------------ parsing entry points


def _no_alias(name: str) -> Value | None:
    return None


def _parse(text: str, build: _Build) -> Value:
    try:
        tree = _parser().parse(text)
        return build.transform(tree)
    except VisitError as e:  # an error while building a value (e.g. an oversized integer)
        inner = e.orig_exc
        if isinstance(inner, PlacementError):
            raise inner from None
        meta = getattr(getattr(e, "obj", None), "meta", None)
        offset = getattr(meta, "start_pos", 0) if meta is not None else 0
        raise PlacementError(f"invalid attribute value: {inner}", "<attribute>", text,
                             offset if isinstance(offset, int) else 0) from None
    except LarkError as e:
        offset = getattr(e, "pos_in_stream", None)
        raise PlacementError(f"cannot parse attribute or type '{text}'", "<attribute>", text,
                             offset if isinstance(offset, int) else 0) from None
    except ValueError as e:  # int() past Python's digit limit, raised outside a visit
        raise PlacementError(f"invalid attribute value: {e}", "<attribute>", text, 0) from None


def parse_attribute(text: str) -> Value:
    """Parse one attribute (or type) text with no alias table (`#x` stays `DialectAttr('x')`)."""
    return _parse(text, _Build(_no_alias, _no_alias))


def parse_type(text: str) -> Value:
    """Parse one type text with no alias table."""
    return parse_attribute(text)


class AttributeParser:
    """Parses a module's attribute and type texts on demand, expanding its aliases (cached)."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self._cache: dict[str, Value] = {}
        self._active: set[str] = set()
        self._build = _Build(self._alias_attr, self._alias_type)

    def _alias_attr(self, name: str) -> Value | None:
        if name not in self.module.attribute_aliases:
            return None
        return self.parse(self.module.attribute_aliases[name])

    def _alias_type(self, name: str) -> Value | None:
        if name not in self.module.type_aliases:
            return None
        return self.parse(self.module.type_aliases[name])

    def parse(self, text: str) -> Value:
        """The structured value of an attribute or type text (aliases expanded)."""
        text = text.strip()
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        if text in self._active:
            raise PlacementError(f"attribute alias cycle through '{text}'",
                                 self.module.filename)
        self._active.add(text)
        try:
            value = _parse(text, self._build)
        finally:
            self._active.discard(text)
        self._cache[text] = value
        return value

    def parse_at(self, text: str, offset: int) -> Value:
        """`parse`, with errors located in the module's source (`offset`: where `text`
        starts there)."""
        try:
            return self.parse(text)
        except PlacementError as e:
            inner = e.offset if e.source == text and e.offset is not None else 0
            raise PlacementError(e.message, self.module.filename, self.module.source,
                                 offset + inner) from None

    def try_parse(self, text: str) -> Value | None:
        """Like `parse`, but None when the text is not understood."""
        try:
            return self.parse(text)
        except PlacementError:
            return None


def strip_type(value: Value) -> Value:
    """The attribute of a typed attribute (`#x : !hal.device` -> `#x`)."""
    return value.value if isinstance(value, Typed) else value
