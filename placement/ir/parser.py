"""Parser: MLIR text to `placement.ir.core` structures, driven by the grammar alone.

One tokenizer pass (newlines are whitespace: MLIR is whitespace-insensitive), then recursive
descent. An op is either in MLIR's generic form (`%r:2 = "d.op"(%a) [^bb] <{props}> ({..})
{attrs} : (T) -> (T, T) loc(..)`), or in a custom form that the op table declares
(`placement.ops.FORMATS`, compiled by `placement.ir.format`): the op's format says where it
ends. A custom op the table does not know is an error that names it and suggests the generic
form, except inside an executable body (`skim` rows): such a body is kept verbatim as an
opaque region (bracket matching only) that the analyses never enter.

Attribute and type values are delimited on the token stream and kept as source text;
`placement.ir.attributes` parses them into typed values (cached by text).

The parse runs in a thread with a large stack, so deeply nested regions cannot overflow.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import TypeVar

from placement import ops as optable
from placement.diagnostics import PlacementError
from placement.ir.core import (
    Block,
    Location,
    Module,
    Operation,
    OpResult,
    Region,
    Use,
    Value,
    add_use,
    new_operation,
    new_syntax,
    symbol_of,
)
from placement.ir.format import CompiledSyntax, OpState
from placement.ir.lexer import (
    BANG,
    BARE,
    CARET,
    EOF,
    HASH,
    NUMBER,
    PUNCT,
    STRING,
    SYMBOL,
    VALUE,
    check_literals,
    normalize,
    split_top_level,
    tokenize,
    wrong_token_offset,
)

T = TypeVar("T")
_NONE: list[Value] = []
_NOT_TYPES = frozenset(("attributes", "to", "in", "as"))
_VALUE_STARTS = frozenset((HASH, BANG, BARE, STRING, NUMBER, SYMBOL))
_WORDS = (PUNCT, BARE)  # the kinds `at` accepts
_ANY_ATTRIBUTE_STARTS = frozenset((HASH, STRING, NUMBER, SYMBOL, BARE))
_ONE_TOKEN_TYPES: dict[str, str] = {}  # a one-token value's text -> `normalize` of it
# An op name as written -> its full name and compiled custom form (`placement.ops`).
_CUSTOM_FORMS: dict[str, tuple[str, CompiledSyntax | None]] = {}
_OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}
_CLOSE = {")", "]", "}", ">"}


class NotedError(PlacementError):
    """A PlacementError with a `note:` at a second location (as MLIR gives some errors)."""

    def __init__(self, message: str, filename: str, source: str, offset: int, note: str,
                 note_offset: int) -> None:
        super().__init__(message, filename, source, offset)
        self.note = note
        self.note_offset = note_offset

    def render(self) -> str:
        """The error, then the note, each with its source line and caret."""
        note = PlacementError(self.note, self.filename, self.source, self.note_offset).render()
        return super().render() + "\n" + note.replace(": error: ", ": note: ", 1)


class _Unknown(Exception):
    """An unknown custom op inside an executable body (the body is then skimmed)."""


class _Forward(Value):
    """A placeholder for a value used before its definition."""

    __slots__ = ("type_offset",)

    def __init__(self, name: str, loc: Location) -> None:
        super().__init__("", name, loc)
        self.type_offset = -1


class _Scope:
    """Value names visible in one region, and the block labels of that region."""

    __slots__ = ("values", "labels", "forward", "isolated")

    def __init__(self, isolated: bool) -> None:
        self.values: dict[str, Value | list[Value]] = {}
        self.labels: dict[str, Block] = {}
        self.forward: dict[str, _Forward] = {}
        self.isolated = isolated


ArgDecl = tuple[str, str, int]  # name, type, offset


def _norm(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")


class Parser:
    """Parses one MLIR source text into a Module."""

    def __init__(self, source: str, filename: str = "<input>") -> None:
        self.nuls: list[int] = []  # offsets of the NULs blanked outside strings
        if "\x00" in source:
            self.nuls = [m.start() for m in _NUL_RE.finditer(source) if m.group() == "\x00"]
            source = _blank_nuls(source)
        self.source = source
        self.filename = filename
        toks = self.tokens = tokenize(source, filename)
        self.kinds = toks.kinds
        self.texts = toks.texts
        self.starts = toks.starts
        self.comments = toks.comments
        self.pos = 0
        self.last_offset = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.scopes: list[_Scope] = []
        self.skimming = 0  # > 0 inside an executable body
        self.absent_brace = -1  # token index where an optional `{` group was absent
        self.alias_types: dict[str, str] = {}  # `#a = value : T`: the type of alias #a
        self.default_dialects = ["builtin"]  # of the enclosing regions (`DEFAULT_DIALECTS`)
        self.module = Module(root=Operation("builtin.module", self._loc(0)), source=source,
                             filename=filename, comments=self.comments)
        self.type_aliases = self.module.type_aliases

    # ---------------------------------------------------------------- tokens
    def _loc(self, offset: int) -> Location:
        line_starts = self.line_starts
        line = bisect_right(line_starts, offset)
        return Location(self.filename, line, offset - line_starts[line - 1] + 1, offset)

    def error(self, message: str, tok: int | None = None) -> PlacementError:
        """A located error at token `tok` (default: the current token, or, as MLIR does, just
        after the previous token when the current one starts a later line)."""
        if tok is None:
            i = self.pos
            if i > 0:
                prev_end = self._end_of(i - 1)
                if "\n" in self.source[prev_end:self.starts[i]]:
                    return PlacementError(message, self.filename, self.source, prev_end)
            return PlacementError(message, self.filename, self.source, self.starts[i])
        return PlacementError(message, self.filename, self.source, self.starts[tok])

    def error_at(self, message: str, offset: int) -> PlacementError:
        """A located error at a byte offset."""
        return PlacementError(message, self.filename, self.source, offset)

    def offset(self) -> int:
        """Byte offset of the current token."""
        return self.starts[self.pos]

    def _end_of(self, i: int) -> int:
        return self.starts[i] + len(self.texts[i])

    def at(self, text: str) -> bool:
        """Whether the current token is the keyword or punctuation `text`."""
        return self.texts[self.pos] == text and self.kinds[self.pos] in (PUNCT, BARE)

    def accept(self, text: str) -> bool:
        """Consume the current token if it is `text`."""
        pos = self.pos
        if self.texts[pos] == text and self.kinds[pos] in _WORDS:  # (`at`, inlined)
            self.pos = pos + 1
            return True
        return False

    def expect(self, text: str) -> int:
        """Consume `text` or raise a located error."""
        pos = self.pos
        if self.texts[pos] == text and self.kinds[pos] in _WORDS:  # (`at`, inlined)
            self.pos = pos + 1
            return pos
        got = self.texts[pos] or "end of file"
        raise self.error(f"expected '{text}', found '{got}'")

    def at_value(self) -> bool:
        """Whether the current token is an SSA value use."""
        return self.kinds[self.pos] == VALUE

    def at_caret(self) -> bool:
        """Whether the current token is a block label."""
        return self.kinds[self.pos] == CARET

    def at_type(self) -> bool:
        """Whether the current token can start a type."""
        k = self.kinds[self.pos]
        if k in (BANG, BARE):
            return not (k == BARE and self.texts[self.pos] in ("attributes", "to", "in", "as"))
        return k == PUNCT and self.texts[self.pos] == "("

    def at_attribute(self, kind: str) -> bool:
        """Whether the current token can start an attribute of `kind`."""
        k = self.kinds[self.pos]
        if kind == "str":
            return k == STRING
        if kind in ("symref", "symname"):
            return k == SYMBOL
        if kind == "type":
            return self.at_type()
        if kind == "keyword":
            return k == BARE
        if kind == "angle":
            return self.at("<")
        return k in (HASH, STRING, NUMBER, SYMBOL, BARE) or (
            k == PUNCT and self.texts[self.pos] in ("[", "{", "-"))

    def absent_group(self, first: str | None) -> None:
        """Note that an optional group starting with `first` was absent here."""
        if first == "{":
            self.absent_brace = self.pos

    def _skip_balanced(self, i: int) -> int:
        """Index just past the bracket group that opens at token i."""
        opener = self.texts[i]
        stack = [_OPEN[opener]]
        j = i + 1
        kinds, texts = self.kinds, self.texts
        while stack:
            k = kinds[j]
            if k == EOF:
                raise self.error(f"unbalanced '{opener}': missing '{stack[-1]}'", i)
            if k == PUNCT:
                t = texts[j]
                if t in _OPEN:
                    stack.append(_OPEN[t])
                elif t in _CLOSE:
                    if t != stack[-1]:
                        raise self.error(f"expected '{stack[-1]}', found '{t}'", j)
                    stack.pop()
            j += 1
        return j

    def _text(self, i: int, j: int) -> str:
        """Source text from the start of token i to the end of token j-1."""
        return self.source[self.starts[i]:self._end_of(j - 1)]

    def _value_text(self, i: int, j: int) -> str:
        """The attribute or type value of tokens [i, j), as MLIR spells it (`normalize`)."""
        if j == i + 1:
            text = self.texts[i]
            norm = _ONE_TOKEN_TYPES.get(text)
            if norm is None:
                norm = _ONE_TOKEN_TYPES[text] = normalize(text)
            return norm
        return normalize(self._text(i, j))

    def _value_end(self, i: int) -> int:
        """Index past one attribute or type value starting at token i."""
        kinds, texts = self.kinds, self.texts
        k = kinds[i]
        if k == PUNCT and texts[i] in ("(", "[", "{"):
            j = self._skip_balanced(i)
            if texts[i] == "(" and self._is(j, "->"):  # function type
                return self._value_end(j + 1)
            return j
        if k in _VALUE_STARTS or (k == PUNCT and texts[i] == "-" and kinds[i + 1] == NUMBER):
            j = i + 2 if k == PUNCT else i + 1
            # (a `::` or `<` token text is punctuation: no other kind spells it)
            while texts[j] == "::" and kinds[j + 1] in (SYMBOL, STRING):
                j += 2
            if texts[j] == "<" and k != NUMBER:
                j = self._skip_balanced(j)
            return j
        got = texts[i] or "end of file"
        raise self.error(f"expected an attribute or type value, found '{got}'", i)

    def _typed_end(self, i: int) -> int:
        """Index past an attribute value with its optional `: type`."""
        j = self._value_end(i)
        texts = self.texts
        if texts[j] == ":" and texts[i] != "[":
            return self._value_end(j + 1)
        return j

    def _is(self, i: int, text: str) -> bool:
        return self.texts[i] == text and self.kinds[i] in (PUNCT, BARE)

    # ---------------------------------------------------------------- values
    def parse_type(self) -> str:
        """One type, as (alias-resolved) text."""
        i = self.pos
        k = self.kinds[i]
        texts = self.texts
        if (k == BANG or k == BARE) and texts[i + 1] not in ("<", "::"):
            # A one-token type (`!stream.timepoint`, `tensor<4xi32>`, `index`).
            text = texts[i]
            if k == BARE and text in _NOT_TYPES:
                raise self.error(f"expected a type, found '{text}'")
            self.pos = i + 1
            self.last_offset = self.starts[i]
            norm = _ONE_TOKEN_TYPES.get(text)
            if norm is None:
                norm = _ONE_TOKEN_TYPES[text] = normalize(text)
            if self.type_aliases and self.type_aliases.get(norm):
                return self.module.resolve_type(norm)
            return norm
        if not self.at_type():
            got = self.texts[i] or "end of file"
            raise self.error(f"expected a type, found '{got}'")
        end = self._value_end(i)
        self.pos = end
        self.last_offset = self.starts[i]
        return self.module.resolve_type(self._value_text(i, end))

    def paren_list(self, item: Callable[[], T], open_: str = "(", close: str = ")") -> list[T]:
        """`( item, item, ... )` (possibly empty)."""
        self.expect(open_)
        out: list[T] = []
        if self.accept(close):
            return out
        while True:
            out.append(item())
            if not self.accept(","):
                break
        self.expect(close)
        return out

    def typed(self) -> tuple[str, int]:
        """One type with its offset."""
        return self.parse_type(), self.last_offset

    def parse_result_type_list(self) -> list[tuple[str, int]]:
        """`T` or `(T, T)` or `()` after a '->'."""
        if self.at("(") and not self._is(self._skip_balanced(self.pos), "->"):
            return self.paren_list(self.typed)
        return [self.typed()]

    def parse_attribute(self, kind: str) -> tuple[str, str | None]:
        """An attribute value of `kind` as text, plus the type of a typed attribute."""
        i = self.pos
        if kind == "typed" or kind == "any":
            # (inlined: at_attribute, _value_end and _value_text of a one-token value)
            kinds, texts = self.kinds, self.texts
            k = kinds[i]
            if k in _ANY_ATTRIBUTE_STARTS and texts[i + 1] not in ("::", "<"):
                end = i + 1
                text = texts[i]
                norm = _ONE_TOKEN_TYPES.get(text)
                if norm is None:
                    norm = _ONE_TOKEN_TYPES[text] = normalize(text)
                if kind == "any":
                    self.pos = end
                    return norm, None
                if texts[end] == ":":  # the text is the value with its type
                    end = self._value_end(end + 1)
                    type_text = self._value_text(i + 2, end)
                    value_type = self.module.resolve_type(type_text)
                    self.pos = end
                    if end == i + 3 and "->" not in text and "->" not in texts[i + 2]:
                        # `normalize` of `v : T` (two one-token values), piece by piece: the
                        # colon is spaced, and neither side has a `->` that `normalize` would
                        # leave as written when alone.
                        return norm + " : " + type_text, value_type
                    return self._value_text(i, end), value_type
                self.pos = end
                return norm, self.alias_types.get(norm) or _implied_type(norm)
        if not self.at_attribute(kind):
            got = self.texts[i] or "end of file"
            raise self.error(f"expected an attribute value, found '{got}'")
        if kind == "unit":
            return "", None
        if kind in ("keyword", "str"):
            self.pos += 1
            return self.texts[i], None
        if kind == "angle":
            self.pos = self._skip_balanced(i)
            return self._value_text(i, self.pos), None
        if kind == "symname":
            self.pos += 1
            text = self.texts[i][1:]
            return (text if text.startswith('"') else f'"{text}"'), None
        end = self._value_end(i)
        typ = None
        if kind == "typed" and self._is(end, ":"):
            tstart = end + 1
            end = self._value_end(tstart)
            typ = self.module.resolve_type(self._value_text(tstart, end))
        self.pos = end
        text = self._value_text(i, end)
        if kind == "typed" and typ is None:
            typ = self.alias_types.get(text) or _implied_type(text)
        return text, typ

    def parse_operand(self) -> Value:
        """One `%value` use."""
        pos = self.pos
        if self.kinds[pos] != VALUE:
            got = self.texts[pos] or "end of file"
            raise self.error(f"expected SSA operand, found '{got}'")
        name = self.texts[pos]
        found = self.scopes[-1].values.get(name)  # (`_lookup` of a one-result name here)
        if isinstance(found, Value):
            self.pos = pos + 1
            return found
        value = self._lookup(name, self.starts[pos])
        self.pos = pos + 1
        return value

    def parse_arg_decl(self, with_type: bool = True) -> ArgDecl:
        """`%name: type` (with attributes and a location, both dropped) of a block argument."""
        if self.kinds[self.pos] != VALUE:
            raise self.error("expected SSA identifier")
        name = self.texts[self.pos]
        off = self.starts[self.pos]
        if "#" in name:
            raise self.error("expected SSA identifier without a result number")
        self.pos += 1
        ty = ""
        if with_type:
            self.expect(":")
            ty = self.parse_type()
            if self.at("{") :
                self.pos = self._skip_balanced(self.pos)
            self.skip_loc()
        return name, ty, off

    def at_dims(self) -> bool:
        """Whether a `{%a, %b}` (or `{}`) dims/size list starts here (not a region)."""
        texts = self.texts
        j = self.pos
        if texts[j] != "{":  # (punctuation texts are spelled by no other token kind)
            return False
        j += 1
        if texts[j] == "}":
            return True
        kinds = self.kinds
        while kinds[j] == VALUE:
            if texts[j + 1] == "}":
                return True
            if texts[j + 1] != ",":
                return False
            j += 2
        return False

    def skip_dict(self) -> None:
        """Skip an argument/result attribute dictionary `{...}` (not kept)."""
        if self.at("{") and not self.at_dims():
            self.pos = self._skip_balanced(self.pos)

    def arrow_after_group(self) -> bool:
        """Whether the `(` here opens a function type (`(..) -> ..`)."""
        return self._is(self._skip_balanced(self.pos), "->")

    def source_text(self, i: int, j: int) -> str:
        """Source text of tokens [i, j)."""
        return self._text(i, j) if j > i else ""

    def skip_loc(self) -> None:
        """Skip a trailing `loc(...)`."""
        pos = self.pos
        if self.texts[pos] == "loc" and self.texts[pos + 1] == "(":
            self.pos = self._skip_balanced(pos + 1)

    # ---------------------------------------------------------------- scopes
    def _lookup(self, name: str, offset: int) -> Value:
        if "#" in name:
            base, _, idx = name.partition("#")
        else:
            base, idx = name, ""
        for scope in reversed(self.scopes):
            found = scope.values.get(base)
            if found is not None:
                if isinstance(found, list):
                    n = int(idx) if idx else 0
                    if n >= len(found):
                        raise self.error_at(
                            f"result number {n} out of range for '{base}' ({len(found)} "
                            "results)", offset)
                    return found[n]
                if idx and idx != "0":
                    raise self.error_at(f"'{base}' has only one result", offset)
                return found
            if scope.isolated:
                break
        scope = self.scopes[-1]
        fwd = scope.forward.get(name)
        if fwd is None:
            fwd = _Forward(name, self._loc(offset))
            scope.forward[name] = fwd
        return fwd

    def check_type(self, value: Value, ty: str, offset: int) -> None:
        """A use that writes the type of `value`: it must be the value's type."""
        if isinstance(value, _Forward):
            if not value.type:
                value.type = ty
                value.type_offset = offset
                return
            prior = value.type_offset
        else:
            prior = value.loc.offset if value.loc is not None else offset
        if _norm(value.type) != _norm(ty):
            raise NotedError(
                f"use of value '{value.name}' expects different type than prior uses: "
                f"'{ty}' vs '{value.type}'", self.filename, self.source, offset,
                "prior use here", prior)

    def _define(self, name: str, value: Value | list[Value], offset: int) -> None:
        scope = self.scopes[-1]
        prior = scope.values.get(name)
        if prior is not None:
            first = prior[0] if isinstance(prior, list) else prior
            raise NotedError(f"redefinition of SSA value '{name}'", self.filename, self.source,
                             offset, "previously defined here",
                             first.loc.offset if first.loc is not None else offset)
        scope.values[name] = value
        if not scope.forward:
            return
        values = value if isinstance(value, list) else [value]
        for i, v in enumerate(values):
            for key in ((name, f"{name}#{i}") if i == 0 else (f"{name}#{i}",)):
                fwd = scope.forward.pop(key, None)
                if fwd is not None:
                    if fwd.type and _norm(fwd.type) != _norm(v.type):
                        raise NotedError(
                            f"definition of SSA value '{name}#{i}' has type '{v.type}'",
                            self.filename, self.source, offset,
                            f"previously used here with type '{fwd.type}'",
                            fwd.type_offset if fwd.type_offset >= 0 else offset)
                    self._replace_forward(fwd, v)

    @staticmethod
    def _replace_forward(fwd: Value, value: Value) -> None:
        for use in fwd.uses:
            use.owner.operands[use.index] = value
            value.uses.append(use)
        fwd.uses.clear()

    def _push_scope(self, isolated: bool) -> _Scope:
        scope = _Scope(isolated)
        self.scopes.append(scope)
        return scope

    def _pop_scope(self) -> None:
        scope = self.scopes.pop()
        if scope.forward:
            if self.scopes and not scope.isolated:
                for name, fwd in scope.forward.items():
                    outer = self.scopes[-1].forward.get(name)
                    if outer is None:
                        self.scopes[-1].forward[name] = fwd
                    else:
                        self._replace_forward(fwd, outer)
            else:
                name, fwd = min(scope.forward.items(),
                                key=lambda kv: kv[1].loc.offset if kv[1].loc else 0)
                raise self.error_at(f"use of undeclared SSA value name '{name}'",
                                    fwd.loc.offset if fwd.loc else 0)
        for label, block in scope.labels.items():
            if block.parent is None:
                raise self.error_at(f"reference to an undefined block '{label}'",
                                    block.loc.offset if block.loc else 0)

    # ---------------------------------------------------------------- module
    def parse(self) -> Module:
        """Parse the whole source."""
        self._push_scope(isolated=True)
        body = Block()
        ops: list[Operation] = []
        while True:
            k = self.kinds[self.pos]
            if k == EOF:
                break
            if k in (HASH, BANG) and self._is(self.pos + 1, "="):
                self._parse_alias()
                continue
            if self.at("}"):
                raise self.error("unexpected '}' at top level")
            ops.append(self._parse_op(body))
        self._pop_scope()
        check_literals(self.source, self.filename, self.tokens)
        self._check_dialect_attributes()
        self._check_dialect_body_lists()
        if self.nuls:
            self._check_nuls_in_dialect_bodies()
        self._check_alias_uses()
        module = self.module
        names = [optable.canonical_name(op.name) for op in ops]
        if len(ops) == 1 and optable.info(names[0]).role == optable.Role.MODULE:
            module.root = ops[0]
            ops[0].parent = None
        else:
            module.implicit_root = True
            region = Region(parent=module.root)
            body.parent = region
            body.ops = ops
            region.blocks.append(body)
            module.root.regions.append(region)
        if not module.root.regions or not module.root.regions[0].blocks:
            region = Region(parent=module.root, blocks=[Block()])
            region.blocks[0].parent = region
            module.root.regions = [region]
        return module

    def _check_dialect_attributes(self) -> None:
        """iree-opt's error at the first `#dialect.mnemonic` of a dialect in
        `placement.ops.DIALECT_ATTRIBUTES` that the dialect does not register (outside strings
        and comments)."""
        source = self.source
        bodies = optable.DIALECT_ATTRIBUTE_BODIES
        for m in _dialect_attr_re().finditer(source):
            dialect, name = m.group(1), m.group(2)
            message, known = optable.DIALECT_ATTRIBUTES[dialect]
            full = f"{dialect}.{name}"
            grammar = bodies.get(full)
            opens = source.startswith(("<", "(", "["), m.end())
            if name in known and (opens or full in optable.DIALECT_BARE_ATTRIBUTES or
                                  source[m.end():m.end() + 1] in (" ", "\t", "\n", "\r")) and (
                    grammar is None or not opens or _BODY_OK[grammar].match(source, m.end())):
                continue
            k = bisect_right(self.starts, m.start()) - 1
            if k < 0 or self.starts[k] != m.start() or self.kinds[k] != HASH or (
                    self._is(k + 1, "=") and (k == 0 or self.kinds[k - 1] != PUNCT)):
                continue
            if name not in known:
                raise self.error_at(message.format(name=name, dialect=dialect), m.start(2))
            if not opens and full not in optable.DIALECT_BARE_ATTRIBUTES:
                raise self.error_at(optable.DIALECT_ATTRIBUTE_OPENERS.get(full, "expected '<'"),
                                    m.end())
            found = _symbol_queues_error(source, m.end() + 1) if grammar else None
            if found is not None:
                raise self.error_at(found[1], found[0])

    def _check_dialect_body_lists(self) -> None:
        """Inside the `<...>` body of an attribute of a dialect the op table lists
        (`DIALECT_ATTRIBUTES`), outside strings: an `=` must be followed by a value (iree-opt:
        `expected attribute value` at the next token) and, in a `{...}` dictionary, a `,` by a
        name (`expected attribute name`); in a `[...]` list, a `,` by a value. The bodies are
        otherwise kept as the text they are (parsed on demand), so this is checked here; only
        bodies that open at most `_BODY_REACH` characters before the slot are searched (a
        longer body goes unchecked: an error missed, never a different program)."""
        source = self.source
        candidates = _EMPTY_SLOT_RE.finditer(source)
        first = next(candidates, None)
        if first is None:
            return
        bodies = [m for m in _DIALECT_BODY_RE.finditer(source) if source[m.start()] == "#"]
        starts = [m.start() for m in bodies]
        for m in (first, *candidates):
            at = m.start() + 1  # (iree-opt points just past the `=` / `,`)
            for b in reversed(bodies[bisect_left(starts, m.start() - _BODY_REACH):
                                     bisect_right(starts, m.start())]):
                inner, _ = _body_at(source, b.end() - 1, m.start())
                if inner is None:
                    continue
                if inner == "" or b.group().split(".", 1)[0][1:] not in \
                        optable.DIALECT_ATTRIBUTES:
                    break  # inside a string, or a dialect we do not check
                if source[m.start()] == "=":
                    raise self.error_at("expected attribute value", at)
                if inner == "{":
                    raise self.error_at("expected attribute name", at)
                if inner == "[":
                    raise self.error_at("expected attribute value", at)
                break

    def _check_alias_uses(self) -> None:
        """`undefined symbol alias id 'a'` (at the end of the name) for a use of `#a` / `!a`
        with no definition before it (MLIR resolves aliases in one pass)."""
        module = self.module
        defined = {self.texts[bisect_right(self.starts, start) - 1]: start
                   for start, _ in module.alias_spans}
        for m in _ALIAS_USE_RE.finditer(self.source):
            name = m.group()
            at = defined.get(name)
            if at is not None and at <= m.start():
                continue
            k = bisect_right(self.starts, m.start()) - 1  # the token holding it (a flat
            # `tensor<4xf32, #enc>` holds the alias too); not a string or a name
            if k >= 0 and m.start() < self._end_of(k) and self.kinds[k] not in (
                    STRING, SYMBOL, VALUE, CARET):
                raise self.error_at(f"undefined symbol alias id '{name[1:]}'", m.end())

    def _check_nuls_in_dialect_bodies(self) -> None:
        """A NUL inside a dialect attribute's or type's `<...>` body: MLIR's body scan
        (`parseDialectSymbolBody`) stops there with `unbalanced 'c' character in pretty
        dialect name` (c: the innermost open bracket), at the current token (the last string
        of the body before the NUL, else the body's `<`)."""
        source, nuls = self.source, self.nuls
        for m in _DIALECT_BODY_RE.finditer(source):
            k = bisect_right(self.starts, m.start()) - 1
            if k < 0 or self.starts[k] != m.start() or self.kinds[k] not in (HASH, BANG):
                continue
            i = m.end() - 1
            first = nuls[min(bisect_right(nuls, i), len(nuls) - 1)]
            if first < i:
                continue
            inner, token = _body_at(source, i, first)
            if inner:
                raise self.error_at(f"unbalanced '{inner}' character in pretty dialect name",
                                    token)

    def _parse_alias(self) -> None:
        name_tok = self.pos
        name = self.texts[name_tok]
        kind = "attribute" if self.kinds[name_tok] == HASH else "type"
        if "." in name:
            raise self.error(f"{kind} names with a '.' are reserved for dialect-defined names",
                             name_tok)
        if name in self.module.attribute_aliases or name in self.module.type_aliases:
            raise self.error(f"redefinition of {kind} alias id '{name[1:]}'", name_tok)
        self.pos += 2
        start = self.pos
        end = self._value_end(start)
        if self.kinds[name_tok] == HASH and self._is(end, ":"):
            tend = self._value_end(end + 1)
            self.alias_types[name] = self.module.resolve_type(self._value_text(end + 1,
                                                                               tend))
            end = tend
        value = self._value_text(start, end)
        self.pos = end
        if self.kinds[name_tok] == HASH:
            self.module.attribute_aliases[name] = value
        else:
            self.module.type_aliases[name] = value
        self.module.alias_spans.append((self.starts[name_tok], self._end_of(end - 1)))

    # ---------------------------------------------------------------- ops
    def _result_names(self) -> list[tuple[str, int, int]]:
        out: list[tuple[str, int, int]] = []
        kinds, texts = self.kinds, self.texts
        while True:
            pos = self.pos
            if kinds[pos] != VALUE:
                raise self.error("expected SSA result name")
            name = texts[pos]
            if "#" in name:
                raise self.error("result names cannot carry a result number")
            off = self.starts[pos]
            self.pos = pos = pos + 1
            count = 1
            if texts[pos] == ":" and kinds[pos] == PUNCT:
                self.pos += 1
                count = self._result_count()
                pos = self.pos
            out.append((name, count, off))
            if texts[pos] == "," and kinds[pos] == PUNCT:
                self.pos = pos + 1
                continue
            if texts[pos] == "=" and kinds[pos] == PUNCT:
                self.pos = pos + 1
                return out
            raise self.error("expected '=' after SSA name")

    def _result_count(self) -> int:
        """The N of `%x:N` (decimal or hex, 1 to 2^64-1, as MLIR reads it)."""
        text = self.texts[self.pos]
        if self.kinds[self.pos] != NUMBER or "." in text:
            raise self.error("expected integer number of results")
        value = int(text, 16) if text.startswith("0x") else int(text) if len(text) < 25 \
            else 1 << 64
        if value < 1 or value >= 1 << 64:
            raise self.error("expected named operation to have at least 1 result")
        self.pos += 1
        return value

    def _parse_op(self, block: Block) -> Operation:
        kinds, texts = self.kinds, self.texts
        start_tok = self.pos
        start = self.starts[start_tok]
        result_names = self._result_names() if kinds[self.pos] == VALUE else []
        name_tok = self.pos
        k = kinds[name_tok]
        n_results = len(result_names)
        if n_results and (n_results > 1 or result_names[0][1] != 1):
            n_results = sum(c for _, c, _ in result_names)
        if k == STRING:
            syntax = new_syntax(start)
            syntax.generic = True
            op = new_operation(texts[name_tok][1:-1], self._loc(start), syntax)
            op.parent = block
            op.syntax.name_end = self._end_of(name_tok)
            self.pos += 1
            types = self._parse_generic_body(op)
        elif k == BARE:
            text = texts[name_tok]
            found = _CUSTOM_FORMS.get(text)
            if found is None:
                if "." in text:
                    found = _CUSTOM_FORMS[text] = (text, optable.syntax_of(text))
                else:  # resolved in the enclosing region's default dialect: not cached
                    full = self._unprefixed(text, name_tok)
                    found = (full, optable.syntax_of(full))
            name, fmt = found
            if fmt is None:
                if self.skimming:
                    raise _Unknown(name)
                raise self.error(
                    f"custom op '{texts[name_tok]}' is unknown to placement; print the module "
                    "with 'iree-opt --mlir-print-op-generic'", name_tok)
            syntax = new_syntax(start)
            op = new_operation(name, self._loc(start), syntax)
            op.parent = block
            syntax.name_end = self.starts[name_tok] + len(texts[name_tok])
            self.pos += 1
            types = self._parse_custom(op, fmt, n_results)
        else:
            got = texts[name_tok] or "end of file"
            raise self.error(f"expected an operation name, found '{got}'")
        pos = self.pos
        if texts[pos] == "loc" and texts[pos + 1] == "(":
            self.pos = pos = self._skip_balanced(pos + 1)
        if not result_names and types:
            result_names = [("", len(types), start)]
        if len(types) != n_results and result_names and result_names[0][0]:
            raise self.error_at(f"operation defines {len(types)} results but was provided "
                                f"{n_results} to bind", start)
        if result_names:
            self._make_results(op, result_names, types)
        op.syntax.end = self.starts[pos - 1] + len(texts[pos - 1])
        return op

    def _unprefixed(self, name: str, tok: int) -> str:
        """The full name of an op written without its dialect, as MLIR resolves it in the
        enclosing region's default dialect; iree-opt's error where that names no op."""
        dialect = self.default_dialects[-1]
        full = f"{dialect}.{name}"
        if dialect and optable.syntax_of(full) is not None:
            return full
        if self.skimming:
            raise _Unknown(name)
        if not dialect:
            raise self.error(f"Dialect `' not found for custom op '{name}'  (tried '.{name}' "
                             "as well)", tok)
        raise self.error(f"custom op '{name}' is unknown (tried '{full}' as well)", tok)

    def _make_results(self, op: Operation, names: list[tuple[str, int, int]],
                      types: list[str]) -> None:
        if len(names) == 1 and names[0][1] == 1 and names[0][0]:  # `%x = ...`
            name, _, off = names[0]
            res = OpResult(op, 0, types[0], name,
                           op.loc if off == op.loc.offset else self._loc(off))
            op.results.append(res)
            self._define(name, res, off)
            return
        i = 0
        for name, count, off in names:
            group = []
            loc = op.loc if off == op.loc.offset else self._loc(off)
            for j in range(count):
                rname = name if count == 1 else f"{name}#{j}" if name else ""
                res = OpResult(op, i, types[i], rname, loc)
                op.results.append(res)
                group.append(res)
                i += 1
            if name:
                self._define(name, group[0] if count == 1 else list(group), off)

    # ---------------------------------------------------------------- generic form
    def _parse_generic_body(self, op: Operation) -> list[str]:
        self.expect("(")
        operand_offsets: list[int] = []
        if not self.accept(")"):
            while True:
                operand_offsets.append(self.offset())
                add_use(op, self.parse_operand())
                if not self.accept(","):
                    break
            self.expect(")")
        if self.accept("["):
            while True:
                self._generic_successor(op)
                if not self.accept(","):
                    break
            self.expect("]")
        if self.at("<") and self._is(self.pos + 1, "{"):
            self.pos += 1
            self._parse_attr_entries(op.syntax_attrs)
            self.expect(">")
        if self.at("(") and self._is(self.pos + 1, "{"):
            self.pos += 1
            while True:
                op.regions.append(self.parse_region(op, [], False))
                if not self.accept(","):
                    break
            self.expect(")")
        if self.at("{"):
            self._dict_at(op, keyword=False)
        op.syntax.attr_anchor = (self._end_of(self.pos - 1), False)
        op.syntax.first_colon = self.starts[self.expect(":")]
        if not self.at("("):
            raise self.error("expected function type")
        types = self.paren_list(self.typed)
        self.expect("->")
        results = self.parse_result_type_list()
        if len(types) != len(op.operands):
            raise self.error_at(f"{len(op.operands)} operands present, but expected "
                                f"{len(types)}", op.loc.offset)
        for value, (ty, off) in zip(op.operands, types, strict=True):
            self.check_type(value, ty, off)
        self._generic_semantics(op)
        return [t for t, _ in results]

    def _generic_semantics(self, op: Operation) -> None:
        """What the op's custom form records besides its attributes (symbol references, tied
        results), read from the generic form's properties as the custom format would."""
        fmt = optable.syntax_of(optable.canonical_name(op.name))
        if fmt is None:
            return
        props = op.syntax_attrs
        op.symbols = fmt.symbols_of(props)
        seg_text = props.get("operandSegmentSizes")
        segments = [int(x) for x in re.findall(r"-?\d+", seg_text.partition(":")[2])] \
            if seg_text else None
        op.tied = fmt.tied_of(props, segments)
        if op.successors and fmt.successors and not any(n for _, n in op.successor_operands):
            # `"cf.br"(%a)[^bb1]`: successor operands are operand groups, as the format says.
            spans = fmt.group_spans(len(op.operands), segments)
            groups = list(fmt.successors.values())
            if spans is not None and len(groups) == len(op.successors):
                op.successor_operands = [spans.get(g, (0, 0)) for g in groups]

    def _generic_successor(self, op: Operation) -> None:
        block = self.parse_successor()
        first = len(op.operands)
        if self.accept("("):
            values = []
            while True:
                values.append((self.offset(), self.parse_operand()))
                if not self.accept(","):
                    break
            self.expect(":")
            for off, value in values:
                self.check_type(value, self.parse_type(), off)
                add_use(op, value)
                if not self.accept(","):
                    break
            self.expect(")")
        op.successors.append(block)
        op.successor_operands.append((first, len(op.operands) - first))

    def parse_successor(self) -> Block:
        """A `^label` reference (the block may be defined later in the region)."""
        if self.kinds[self.pos] != CARET:
            raise self.error("expected block name")
        label = self.texts[self.pos]
        scope = self.scopes[-1]
        target = scope.labels.get(label)
        if target is None:
            target = Block(label=label, loc=self._loc(self.offset()))
            scope.labels[label] = target
        self.pos += 1
        return target

    # ---------------------------------------------------------------- attribute dicts
    def parse_optional_attr_dict(self, op: Operation, keyword: bool) -> None:
        """`{...}` (or `attributes {...}`) if present; records where a new one would go."""
        pos = self.pos
        syntax = op.syntax
        if pos == self.absent_brace and not keyword:
            syntax.dict_needs_generic = True
        syntax.attr_anchor = (self.starts[pos - 1] + len(self.texts[pos - 1]), keyword)
        if keyword:
            if self.at("attributes"):
                syntax.attr_keyword = self.offset()
                self.pos += 1
                if not self.at("{"):
                    raise self.error("expected '{' after 'attributes'")
                self._dict_at(op, keyword=True)
            return
        if self.at("{"):
            self._dict_at(op, keyword=False)

    def _dict_at(self, op: Operation, keyword: bool) -> None:
        open_tok = self.pos
        if op.syntax.attr_dict is not None:
            raise self.error("unexpected second attribute dictionary")
        self._parse_attr_entries(op.attributes)
        op.syntax.attr_dict = (self.starts[open_tok], self._end_of(self.pos - 1))

    def _parse_attr_entries(self, target: dict[str, str]) -> None:
        self.expect("{")
        if self.accept("}"):
            return
        while True:
            k = self.kinds[self.pos]
            key = self.texts[self.pos]
            if k == STRING:
                key = key[1:-1]
            elif k != BARE:
                raise self.error("expected attribute name")
            self.pos += 1
            if self.accept("="):
                i = self.pos
                end = self._typed_end(i)
                target[key] = self._value_text(i, end)
                self.pos = end
            else:
                target[key] = ""
            if self.accept(","):
                continue
            if not self.at("}"):
                raise self.error("expected ',' or '}' in attribute dictionary")
            self.pos += 1
            return

    # ---------------------------------------------------------------- custom form
    def _parse_custom(self, op: Operation, fmt: CompiledSyntax, n_results: int) -> list[str]:
        st = OpState(op, n_results, fmt.skim)
        fmt.parse(self, st)
        return self._resolve(op, fmt, st)

    def _resolve(self, op: Operation, fmt: CompiledSyntax, st: OpState) -> list[str]:
        """Operands in ODS order with their written types checked; the result types."""
        group_start: dict[str, int] = {}
        segments: list[int] = []
        bound, written_types = st.operands, st.types
        operands = op.operands
        for name in fmt.operand_names:
            values = bound.get(name, _NONE)
            group_start[name] = len(operands)
            segments.append(len(values))
            written = written_types.get(name)
            if written is None:
                if values:
                    rule = fmt.operand_types.get(name)
                    if rule is not None:
                        self._check_implied_types(st, name, rule, values)
                    n = len(operands)
                    for value in values:
                        value.uses.append(Use(op, n))
                        n += 1
                    operands.extend(values)
                continue
            if len(written) != len(values):
                at = st.operand_offsets.get(name) or [written[0][1] if written else
                                                      op.loc.offset]
                raise self.error_at(f"custom op '{op.name}' number of operands and types do "
                                    f"not match: got {len(values)} operands and "
                                    f"{len(written)} types", at[0])
            offsets = st.operand_offsets[name]
            if len(values) == 1 and len(offsets) == 1:  # (the loop below for one value)
                value = values[0]
                ty = written[0][0]
                if value.type != ty:
                    self.check_type(value, ty, offsets[0])
                value.uses.append(Use(op, len(operands)))
                operands.append(value)
                continue
            for value, (ty, _), off in zip(values, written, offsets, strict=True):
                if value.type != ty:
                    self.check_type(value, ty, off)
                value.uses.append(Use(op, len(operands)))
                operands.append(value)
        op.syntax.segments = segments
        for block, group, first, count in st.successors:
            total = len(st.operands.get(group, [])) - first if count < 0 else count
            if count < 0:
                # Operands bound after this successor up to the next successor of the group.
                later = [f for b, g, f, _ in st.successors if g == group and f > first]
                total = (min(later) if later else len(st.operands.get(group, []))) - first
            op.successors.append(block)
            op.successor_operands.append((group_start.get(group, 0) + first, total))
        if st.regions:
            for regions in st.regions.values():
                op.regions.extend(regions)
        types: list[str] = []
        if st.tied:
            for index, (_, tied_to) in sorted(st.tied.items()):
                idx = next((i for i, v in enumerate(op.operands) if v is tied_to), None)
                if idx is not None:
                    op.tied[index] = idx
        for decl in fmt.results:
            written = written_types.get(decl.name)
            if written is not None:
                if len(written) == 1:
                    types.append(written[0][0])
                else:
                    types.extend([t for t, _ in written])
                continue
            rule = fmt.infer.get(decl.name)
            if rule is None and decl.kind == "variadic":
                continue
            if rule is None:
                raise self.error_at(f"internal: no result type rule for '{op.name}' result "
                                    f"'{decl.name}'", op.loc.offset)
            if rule.startswith("="):
                types.append(rule[1:])
            elif rule.startswith("%"):  # the element type of a shaped operand's type
                shaped = st.types.get(rule[1:]) or [(v.type, 0) for v in
                                                    st.operands.get(rule[1:], [])]
                types.append(_element_type(shaped[0][0]) if shaped else "")
            elif rule.startswith("@"):
                types.append(st.attr_types.get(rule[1:], ""))
            elif rule.startswith("#"):  # as many of a fixed type as named
                count = st.n_results - sum(1 for d in fmt.results if d is not decl)
                types.extend([rule[1:]] * max(count, 0))
            else:
                source = st.types.get(rule)
                if source is not None:
                    types.extend(t for t, _ in source)
                else:
                    types.extend(v.type for v in st.operands.get(rule, []))
        return types

    def _check_implied_types(self, st: OpState, name: str, rule: str,
                             values: list[Value]) -> None:
        """The values of operand group `name` have the type the op's custom parser resolves
        them with (`OpSyntax.operand_types`); values of a type we do not know are not checked."""
        if rule.startswith("="):
            types = [rule[1:]] * len(values)
        else:
            source = st.types.get(rule.lstrip("%"))
            if not source:
                return
            if rule.startswith("%"):
                types = [_element_type(source[0][0])] * len(values)
            elif len(source) == len(values):
                types = [t for t, _ in source]
            elif len(source) == 1:
                types = [source[0][0]] * len(values)
            else:
                return
        offsets = st.operand_offsets.get(name) or []
        if len(offsets) != len(values):
            return
        for value, ty, off in zip(values, types, offsets, strict=True):
            if value.type != ty and ty and (value.type or isinstance(value, _Forward)):
                self.check_type(value, ty, off)

    # ---------------------------------------------------------------- regions
    def parse_region(self, op: Operation, entry_args: list[ArgDecl], isolated: bool,
                     skim: bool = False) -> Region:
        """`{ ops ^bb(args): ops }`; `entry_args` are declared by the op's syntax."""
        if skim:
            save_pos, depth = self.pos, len(self.scopes)
            self.skimming += 1
            try:
                return self._region(op, entry_args, isolated)
            except (_Unknown, NotedError):
                self.pos = save_pos
                del self.scopes[depth:]
                end = self._skip_balanced(self.pos)
                region = Region(parent=op, start=self.offset(), end=self._end_of(end - 1),
                                opaque=True)
                self.pos = end
                return region
            finally:
                self.skimming -= 1
        return self._region(op, entry_args, isolated)

    def _region(self, op: Operation, entry_args: list[ArgDecl], isolated: bool) -> Region:
        self.default_dialects.append(optable.DEFAULT_DIALECTS.get(op.name, ""))
        try:
            return self._region_body(op, entry_args, isolated)
        finally:
            self.default_dialects.pop()

    def _region_body(self, op: Operation, entry_args: list[ArgDecl], isolated: bool) -> Region:
        open_tok = self.expect("{")
        region = Region(parent=op, start=self.starts[open_tok])
        scope = self._push_scope(isolated)
        block: Block | None = None
        if entry_args:
            block = Block(parent=region, loc=self._loc(self.starts[open_tok]))
            region.blocks.append(block)
            for name, ty, off in entry_args:
                value = block.add_argument(ty, name, self._loc(off))
                self._define(name, value, off)
        kinds, texts = self.kinds, self.texts
        while True:
            k = kinds[self.pos]
            if k == EOF:
                raise self.error("expected '}' to close the region opened here", open_tok)
            if k == PUNCT and texts[self.pos] == "}":
                self.pos += 1
                break
            if k == CARET:
                if entry_args and block is not None and not block.ops and not block.label:
                    raise self.error("invalid block name in region with named arguments")
                block = self._parse_block_label(region, scope)
                continue
            if block is None:
                block = Block(parent=region, loc=self._loc(self.offset()))
                region.blocks.append(block)
            block.ops.append(self._parse_op(block))
        self._pop_scope()
        region.end = self.starts[self.pos - 1] + 1
        return region

    def _parse_block_label(self, region: Region, scope: _Scope) -> Block:
        label = self.texts[self.pos]
        offset = self.offset()
        self.pos += 1
        block = scope.labels.get(label)
        if block is None:
            block = Block(label=label)
            scope.labels[label] = block
        elif block.parent is not None:
            raise self.error(f"redefinition of block '{label}'", self.pos - 1)
        block.loc = self._loc(offset)
        block.parent = region
        region.blocks.append(block)
        if self.at("("):
            for name, ty, aoff in self.paren_list(self.parse_arg_decl):
                value = block.add_argument(ty, name, self._loc(aoff))
                self._define(name, value, aoff)
        self.expect(":")
        return block


@functools.cache
def _dialect_attr_re() -> re.Pattern[str]:
    """`#dialect.mnemonic` of the dialects the op table lists (compiled on first use: the op
    table imports this module)."""
    return re.compile(r"#(" + "|".join(optable.DIALECT_ATTRIBUTES) +
                      r")\.([A-Za-z_$\-][\w$.\-]*)")


# The common spelling of each body grammar, accepted without the full scan.
_BODY_OK = {"symbol_queues": re.compile(r"<@[A-Za-z_$.\-][\w$.\-]*>")}
_SYMBOL_RE = re.compile(r'@(?:[A-Za-z_$.\-][\w$.\-]*|\d+|"(?:[^"\\\n]|\\.)*")')
_QUEUES_RE = re.compile(r"\[(?:[ \t\n]*\d+[ \t\n]*(?:,[ \t\n]*\d+[ \t\n]*)*)?\]")


def _symbol_queues_error(source: str, i: int) -> tuple[int, str] | None:
    """HAL's `<@device (, [queues])?>` body from just past `<`: its first error, as iree-opt
    reports it (the symbol at the first token; the rest as wrong tokens)."""
    i = _skip_blanks(source, i)
    m = _SYMBOL_RE.match(source, i)
    if m is None:
        return i, "expected valid '@'-identifier for symbol name"
    i = _skip_blanks(source, m.end())
    if source.startswith(",", i):
        j = _skip_blanks(source, i + 1)
        q = _QUEUES_RE.match(source, j)
        if q is None:
            return (wrong_token_offset(source, j), "expected '['") if not source.startswith(
                "[", j) else None
        i = _skip_blanks(source, q.end())
    return None if source.startswith(">", i) else (wrong_token_offset(source, i), "expected '>'")


def _skip_blanks(source: str, i: int) -> int:
    while i < len(source) and source[i] in " \t\r\n":
        i += 1
    return i


# (the look-behind after the `#`/`!`: a pattern that starts with a character set is searched
# much faster than one that starts with a look-behind)
_ALIAS_USE_RE = re.compile(r"[#!](?<![\w$.\-#!][#!])[A-Za-z_$\-][\w$\-]*(?![\w$.\-<])")
# `= =`, `= ,`, `= ]`, `= }`, `= >` (not `=>`, op syntax), `, ,`, `, >`, `, ]`, `, }`
_EMPTY_SLOT_RE = re.compile(r"=(?:[ \t\r\n]*[=,\]}]|[ \t\r\n]+>)|,[ \t\r\n]*[,>\]}]")
_BODY_REACH = 1 << 16  # a body that opens further back than this is not searched


def _body_at(source: str, body: int, at: int) -> tuple[str | None, int]:
    """The innermost open bracket at offset `at` of the dialect body whose `<` is at `body`
    ("" when `at` is inside a string or after an unterminated one; None when the body has
    closed before `at`), and where the body's last string before `at` starts (else `body`)."""
    stack: list[str] = []
    i = token = body
    while i < at:
        c = source[i]
        if c == '"':
            string = _STRING_RE.match(source, i)
            if string is None or string.end() > at:
                return "", token
            token = i
            i = string.end()
            continue
        if c in "<[({":
            stack.append(c)
        elif c == "-" and source.startswith(">", i + 1):
            i += 1
        elif c in ">])}":
            if not stack or stack.pop() != "<[({"[">])}".index(c)] or not stack:
                return None, token
        i += 1
    return (stack[-1] if stack else None), token


_DIALECT_BODY_RE = re.compile(r"[#!][A-Za-z_][\w$]*\.[\w$.\-]*<")
_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_NUL_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|\x00')


def _blank_nuls(source: str) -> str:
    """`source` with each NUL outside a string literal a space (same offsets): MLIR's lexer
    skips a NUL that is not the end of the buffer as it skips blanks, and keeps one in a string."""
    return _NUL_RE.sub(lambda m: " " if m.group() == "\x00" else m.group(), source)


def _element_type(text: str) -> str:
    """`f32` of `tensor<4x?xf32, #enc>` (text-level: the last `x`-separated shape item)."""
    inner = text[text.find("<") + 1:text.rfind(">")] if "<" in text else text
    inner = (split_top_level(inner) or [""])[0]
    return inner.rsplit("x", 1)[-1].strip() if "x" in inner else inner.strip()


def _implied_type(text: str) -> str | None:
    """The type of an untyped attribute literal (`true` is i1; integers/floats are i64/f64)."""
    if text in ("true", "false"):
        return "i1"
    if re.fullmatch(r"-?\d+", text):
        return "i64"
    if re.fullmatch(r"-?\d+\.\d*(?:[eE][+-]?\d+)?", text):
        return "f64"
    return None


def _run(source: str, filename: str) -> Module:
    return Parser(source, filename).parse()


_STACK_BYTES = 512 * 1024 * 1024


def parse(source: str, filename: str = "<input>") -> Module:
    """Parse MLIR text into a Module; raise PlacementError with a location on bad input.

    A NUL outside a string literal is a blank, as in MLIR's lexer.
    Empty input (nothing but whitespace and comments) is an empty module, as in iree-opt.
    """
    result: list[Module] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(_run(source, filename))
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    if len(source) < 20000 and source.count("{") < 200:
        return _run(source, filename)
    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    try:
        threading.stack_size(_STACK_BYTES)
        sys.setrecursionlimit(max(old_limit, 1_000_000))
        thread = threading.Thread(target=work, name="placement-parse")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if failure:
        raise failure[0]
    return result[0]


__all__ = ["Parser", "parse", "NotedError", "symbol_of"]
