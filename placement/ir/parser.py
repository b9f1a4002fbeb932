"""Parser: MLIR text to `placement.ir.core` structures.

Op structure is read by a hand-written recursive-descent scanner over the token stream, which
works for any op, known or not: results, operands, successors, regions, the attribute dictionary,
keyword attributes (`on(#x)`, `to #x`), symbol references and result types. Custom syntax is
read structurally; the few facts a custom syntax hides (operand order, result types, where
the block arguments are declared) come from the op table (`placement.ops`).

Attribute and type *values* are kept as source text here; `placement.ir.attributes` parses
them into structured values on demand.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

from placement import ops as optable
from placement.diagnostics import PlacementError
from placement.ir.core import (
    Block,
    Location,
    Module,
    Operation,
    OpResult,
    Region,
    SyntaxInfo,
    Value,
    add_use,
)
from placement.ir.lexer import (
    BANG,
    BARE,
    CARET,
    EOF,
    HASH,
    NL,
    NUMBER,
    PUNCT,
    STRING,
    SYMBOL,
    VALUE,
    tokenize,
)

_OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}
_CLOSE = {")", "]", "}", ">"}
# Tokens after which an op continues on the next line.
_CONTINUE_AFTER = {",", "=", ":", "->", "(", "[", "<", "::"}
# Tokens that continue an op when they start the next line.
_CONTINUE_BEFORE = {":", "->", ",", ")", "]", ">", "=", "{", "(", "[", "<", "::", "=>"}
_CONTINUE_WORDS = {"else", "do", "attributes", "to", "step", "iter_args", "ins", "outs", "into",
                   "from", "on", "wait", "workgroups", "with", "in", "as", "of", "loc", "=>"}


class _Forward(Value):
    """A placeholder for a value used before its definition."""

    __slots__ = ()


class _Scope:
    """Value names visible in one region, and the block labels of that region."""

    __slots__ = ("values", "labels", "forward", "isolated")

    def __init__(self, isolated: bool) -> None:
        self.values: dict[str, Value | list[Value]] = {}
        self.labels: dict[str, Block] = {}
        self.forward: dict[str, _Forward] = {}
        self.isolated = isolated


class _PendingArg:
    """A block argument declared by an op's custom syntax before its region."""

    __slots__ = ("name", "type", "offset", "init")

    def __init__(self, name: str, type: str, offset: int, init: bool) -> None:
        self.name = name
        self.type = type
        self.offset = offset
        self.init = init  # `%x = %init`: the type comes from the next operand


class Parser:
    """Parses one MLIR source text into a Module."""

    def __init__(self, source: str, filename: str = "<input>") -> None:
        self.source = source
        self.filename = filename
        toks = tokenize(source, filename)
        self.kinds = toks.kinds
        self.texts = toks.texts
        self.starts = toks.starts
        self.comments = toks.comments
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.scopes: list[_Scope] = []
        self.module = Module(root=Operation("builtin.module", self._loc(0)), source=source,
                             filename=filename, comments=self.comments)

    # ---------------------------------------------------------------- helpers
    def _loc(self, offset: int) -> Location:
        line = bisect_right(self.line_starts, offset)
        return Location(self.filename, line, offset - self.line_starts[line - 1] + 1, offset)

    def error(self, message: str, tok: int | None = None) -> PlacementError:
        """A located error at token `tok` (default: the current token)."""
        i = self.pos if tok is None else tok
        return PlacementError(message, self.filename, self.source, self.starts[i])

    def _kind(self, i: int) -> str:
        return self.kinds[i] if i < len(self.kinds) else EOF

    def _is(self, i: int, text: str) -> bool:
        return self.texts[i] == text and self.kinds[i] in (PUNCT, BARE)

    def _skip_nl(self) -> None:
        while self.kinds[self.pos] == NL:
            self.pos += 1

    def _next_non_nl(self, i: int) -> int:
        while self.kinds[i] == NL:
            i += 1
        return i

    def _expect(self, text: str) -> int:
        self._skip_nl()
        if not self._is(self.pos, text):
            got = self.texts[self.pos] or "end of file"
            raise self.error(f"expected '{text}', found '{got}'")
        self.pos += 1
        return self.pos - 1

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
        return self.source[self.starts[i]:self.starts[j - 1] + len(self.texts[j - 1])]

    def _attr_end(self, i: int) -> int:
        """Index past one attribute or type value starting at token i (tokens only, no NL)."""
        kinds, texts = self.kinds, self.texts
        k = kinds[i]
        if k == PUNCT and texts[i] in ("(", "[", "{"):
            j = self._skip_balanced(i)
            if self._is(j, "->"):  # function type
                return self._attr_end(j + 1)
            return j
        if k in (HASH, BANG, BARE, STRING, NUMBER, SYMBOL) or (k == PUNCT and texts[i] == "-"):
            j = i + 1
            if k == PUNCT:  # negative number
                j += 1
            while self._is(j, "::") and kinds[j + 1] == SYMBOL:
                j += 2
            if self._is(j, "<"):
                j = self._skip_balanced(j)
            if k == NUMBER and self._is(j, ":"):  # `0 : index`
                j = self._attr_end(j + 1)
            return j
        raise self.error("expected an attribute or type value", i)

    # ---------------------------------------------------------------- scopes
    def _lookup(self, name: str, offset: int) -> Value:
        base, _, idx = name.partition("#")
        for scope in reversed(self.scopes):
            found = scope.values.get(base)
            if found is not None:
                if isinstance(found, list):
                    n = int(idx) if idx else 0
                    if n >= len(found):
                        raise PlacementError(
                            f"result number {n} out of range for '{base}' ({len(found)} results)",
                            self.filename, self.source, offset)
                    return found[n]
                if idx and idx != "0":
                    raise PlacementError(f"'{base}' has only one result", self.filename,
                                         self.source, offset)
                return found
            if scope.isolated:
                break
        scope = self.scopes[-1]
        fwd = scope.forward.get(name)
        if fwd is None:
            fwd = _Forward("", name, self._loc(offset))
            scope.forward[name] = fwd
        return fwd

    def _define(self, name: str, value: Value | list[Value], offset: int) -> None:
        scope = self.scopes[-1]
        if name in scope.values:
            raise PlacementError(f"redefinition of SSA value '{name}'", self.filename,
                                 self.source, offset)
        scope.values[name] = value
        values = value if isinstance(value, list) else [value]
        for i, v in enumerate(values):
            for key in ((name, f"{name}#{i}") if i == 0 else (f"{name}#{i}",)):
                fwd = scope.forward.pop(key, None)
                if fwd is not None:
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
            # Outer scopes may still define them (uses of values defined later in a parent).
            if self.scopes and not scope.isolated:
                for name, fwd in scope.forward.items():
                    outer = self.scopes[-1].forward.get(name)
                    if outer is None:
                        self.scopes[-1].forward[name] = fwd
                    else:
                        self._replace_forward(fwd, outer)
                return
            name, fwd = min(scope.forward.items(), key=lambda kv: kv[1].loc.offset
                            if kv[1].loc else 0)
            offset = fwd.loc.offset if fwd.loc else 0
            raise PlacementError(f"use of undeclared SSA value name '{name}'", self.filename,
                                 self.source, offset)
        for label, block in scope.labels.items():
            if block.parent is None:
                raise PlacementError(f"reference to an undefined block '{label}'",
                                     self.filename, self.source,
                                     block.loc.offset if block.loc else 0)

    # ---------------------------------------------------------------- module
    def parse(self) -> Module:
        """Parse the whole source."""
        root_scope = self._push_scope(isolated=True)
        body = Block()
        ops: list[Operation] = []
        while True:
            self._skip_nl()
            k = self.kinds[self.pos]
            if k == EOF:
                break
            if k in (HASH, BANG) and self._is(self._next_non_nl(self.pos + 1), "="):
                self._parse_alias()
                continue
            if self._is(self.pos, "}"):
                raise self.error("unexpected '}' at top level")
            ops.append(self._parse_op(body))
        self._pop_scope()
        del root_scope
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

    def _parse_alias(self) -> None:
        name_tok = self.pos
        name = self.texts[name_tok]
        self.pos = self._next_non_nl(self.pos + 1) + 1
        self._skip_nl()
        start = self.pos
        end = self._attr_end(start)
        if self.kinds[name_tok] == HASH and self._is(end, ":"):  # typed attribute
            end = self._attr_end(end + 1)
        value = self._text(start, end)
        self.pos = end
        if self.kinds[name_tok] == HASH:
            self.module.attribute_aliases[name] = value
        else:
            self.module.type_aliases[name] = value
        self.module.alias_spans.append(
            (self.starts[name_tok], self.starts[end - 1] + len(self.texts[end - 1])))

    # ---------------------------------------------------------------- ops
    def _parse_op(self, block: Block) -> Operation:
        kinds, texts = self.kinds, self.texts
        start_tok = self.pos
        start = self.starts[start_tok]
        result_names: list[tuple[str, int, int]] = []  # name, count, offset
        if kinds[self.pos] == VALUE:
            while True:
                if kinds[self.pos] != VALUE:
                    raise self.error("expected SSA result name")
                name = texts[self.pos]
                if "#" in name:
                    raise self.error("result names cannot carry a result number")
                off = self.starts[self.pos]
                self.pos += 1
                count = 1
                if self._is(self.pos, ":") and kinds[self.pos + 1] == NUMBER:
                    count = int(texts[self.pos + 1])
                    self.pos += 2
                result_names.append((name, count, off))
                if self._is(self.pos, ","):
                    self.pos += 1
                    self._skip_nl()
                    continue
                break
            self._expect("=")
            self._skip_nl()
        name_tok = self.pos
        k = kinds[name_tok]
        if k == STRING:
            op = Operation(texts[name_tok][1:-1], self._loc(start),
                           syntax=SyntaxInfo(start=start, generic=True))
        elif k == BARE:
            # `stream.async.collective<all_gather : f32>`: the lexer keeps a flat angle group
            # with the name; the group is an inline attribute, not part of the name.
            op = Operation(optable.canonical_name(texts[name_tok].partition("<")[0]),
                           self._loc(start), syntax=SyntaxInfo(start=start))
        else:
            got = texts[name_tok] or "end of file"
            raise self.error(f"expected an operation name, found '{got}'")
        op.parent = block
        op.syntax.name_end = self.starts[name_tok] + len(texts[name_tok])
        self.pos += 1
        n_results = sum(c for _, c, _ in result_names)
        if op.syntax.generic:
            types = self._parse_generic_body(op)
        else:
            types = self._parse_custom_body(op, n_results)
        if not result_names and types:  # results the syntax implies but nobody names
            result_names = [("", len(types), start)]
        self._make_results(op, result_names, types)
        last = self.pos - 1
        while kinds[last] == NL:
            last -= 1
        op.syntax.end = self.starts[last] + len(texts[last])
        return op

    def _make_results(self, op: Operation, names: list[tuple[str, int, int]],
                      types: list[str]) -> None:
        n = sum(c for _, c, _ in names)
        if len(types) != n:
            types = (types + [""] * n)[:n]
        i = 0
        aliases = self.module.type_aliases
        for name, count, off in names:
            group = []
            loc = op.loc if off == op.loc.offset else self._loc(off)
            for j in range(count):
                rname = name if count == 1 else f"{name}#{j}" if name else ""
                ty = types[i]
                if ty in aliases:
                    ty = self.module.resolve_type(ty)
                res = OpResult(op, i, ty, rname, loc)
                op.results.append(res)
                group.append(res)
                i += 1
            if name:
                self._define(name, group[0] if count == 1 else list(group), off)

    def _parse_generic_body(self, op: Operation) -> list[str]:
        self._expect("(")
        self._comma_list(")", lambda: self._operand(op))
        if self._is(self.pos, "["):
            self.pos += 1
            while not self._is(self.pos, "]"):
                self._parse_successor(op)
                if self._is(self.pos, ","):
                    self.pos += 1
            self.pos += 1
        if self._is(self.pos, "<") and self._is(self.pos + 1, "{"):
            self.pos += 1
            self._parse_attr_dict(op, into_syntax=True)
            self._expect(">")
        if self._is(self.pos, "("):
            self.pos += 1
            self._comma_list(")", lambda: op.regions.append(self._parse_region(op, [])))
        if self._is(self.pos, "{"):
            self._parse_attr_dict(op)
        op.syntax.first_colon = self.starts[self._expect(":")]
        self._skip_nl()
        end = self._attr_end(self.pos)
        types = self._result_types_after_arrow(self.pos, end)
        self.pos = end
        self._skip_loc()
        return types

    def _skip_loc(self) -> None:
        if self.texts[self.pos] == "loc" and self._is(self.pos + 1, "("):
            self.pos = self._skip_balanced(self.pos + 1)

    def _comma_list(self, close: str, item: Callable[[], None]) -> None:
        """Parse `item (, item)* close` (the opening bracket is already consumed)."""
        while True:
            self._skip_nl()
            if self._is(self.pos, close):
                self.pos += 1
                return
            item()
            self._skip_nl()
            if self._is(self.pos, ","):
                self.pos += 1

    def _operand(self, op: Operation) -> None:
        """One `%value` operand of a generic op."""
        if self.kinds[self.pos] != VALUE:
            raise self.error("expected SSA operand")
        add_use(op, self._lookup(self.texts[self.pos], self.starts[self.pos]))
        self.pos += 1

    def _parse_successor(self, op: Operation) -> None:
        self._skip_nl()
        label = self.texts[self.pos]
        offset = self.starts[self.pos]
        scope = self.scopes[-1]
        target = scope.labels.get(label)
        if target is None:
            target = Block(label=label, loc=self._loc(offset))
            scope.labels[label] = target
        self.pos += 1
        first = len(op.operands)
        if self._is(self.pos, "("):
            # `^bb1(%a, %b : t1, t2)`: the operands are the values; the types follow them.
            end = self._skip_balanced(self.pos)
            for j in range(self.pos + 1, end - 1):
                if self.kinds[j] == VALUE:
                    add_use(op, self._lookup(self.texts[j], self.starts[j]))
            self.pos = end
        op.successors.append(target)
        op.successor_operands.append((first, len(op.operands) - first))

    def _parse_attr_dict(self, op: Operation, into_syntax: bool = False) -> None:
        """Parse `{name = value, unit_name}` at the current '{' into op.attributes."""
        open_tok = self.pos
        end = self._skip_balanced(open_tok)
        target = op.syntax_attrs if into_syntax else op.attributes
        i = open_tok + 1
        while i < end - 1:
            while self.kinds[i] == NL or self._is(i, ","):
                i += 1
            if i >= end - 1:
                break
            key = self.texts[i]
            if self.kinds[i] == STRING:
                key = key[1:-1]
            elif self.kinds[i] != BARE:
                raise self.error("expected attribute name", i)
            i += 1
            while self.kinds[i] == NL:
                i += 1
            if self._is(i, "="):
                i += 1
                while self.kinds[i] == NL:
                    i += 1
                vend = self._attr_end(i)
                if self._is(vend, ":"):  # typed value: `dense<1> : tensor<2xi32>`
                    vend = self._attr_end(self._next_non_nl(vend + 1))
                target[key] = self._text(i, vend)
                i = vend
            else:
                target[key] = ""
            while self.kinds[i] == NL:
                i += 1
            if not (self._is(i, ",") or i >= end - 1):
                raise self.error("expected ',' or '}' in attribute dictionary", i)
        if not into_syntax:
            op.syntax.attr_dict = (self.starts[open_tok], self.starts[end - 1] + 1)
        self.pos = end

    def _region_follows(self, i: int) -> bool:
        """Classify the '{' at token i: region (True) or attribute dictionary / dims (False)."""
        j = i + 1
        k = self.kinds[j]
        if k == NL:
            return True
        if self._is(j, "}"):
            return False
        if k == CARET:
            return True
        if k == SYMBOL:  # `{@a::@b, @c}`: a symbol list
            return False
        if k in (BARE, STRING):
            nxt = self.texts[j + 1]
            return nxt not in ("=", ",", "}")
        if k == VALUE:
            # `{%d0, %d1}` dynamic dims, or an inline region starting with `%x = op`.
            m = j
            while self.kinds[m] == VALUE and self._is(m + 1, ","):
                m += 2
            return not (self.kinds[m] == VALUE and self._is(m + 1, "}"))
        return True

    def _parse_custom_body(self, op: Operation, n_results: int) -> list[str]:
        row = optable.info(op)
        kinds, texts, starts = self.kinds, self.texts, self.starts
        pending: list[_PendingArg] = []
        arrow_tok = -1
        fat_arrows: list[int] = []  # top-level '=>' tokens
        colon_tok = -1
        last_colon = -1
        outer_group_tok = -1  # token opening the outermost bracket group we are in
        trailing_ops: list[int] = []  # operand indices from trailing-keyword groups
        depth_stack: list[str] = []
        keyword_for_group: list[str] = []
        regions_started = False
        prev = self.pos - 1
        while True:
            i = self.pos
            k = kinds[i]
            t = texts[i]
            if k == EOF:
                if depth_stack:
                    raise self.error(f"expected '{depth_stack[-1]}' before end of file")
                break
            if k == NL:
                if depth_stack:
                    self.pos += 1
                    continue
                j = self._next_non_nl(i)
                if (texts[prev] in _CONTINUE_AFTER and kinds[prev] == PUNCT) or (
                        kinds[j] == PUNCT and texts[j] in _CONTINUE_BEFORE) or (
                        kinds[j] == BARE and texts[j] in _CONTINUE_WORDS) or (
                        not self._starts_op(j)):
                    self.pos = j
                    continue
                break
            if k == PUNCT:
                if t == "}" and not depth_stack:
                    break
                if t == "{":
                    if not depth_stack and self._region_follows(i) and not (
                            row.braced_operands and not op.regions):
                        regions_started = True
                        op.regions.append(self._parse_region(op, pending))
                        pending = []
                        prev = self.pos - 1
                        continue
                    if self.kinds[i + 1] == VALUE and not self._region_follows(i):
                        # dynamic dims: operands
                        self.pos += 1
                        while not self._is(self.pos, "}"):
                            if kinds[self.pos] == VALUE:
                                add_use(op, self._lookup(texts[self.pos], starts[self.pos]))
                            self.pos += 1
                        self.pos += 1
                        prev = self.pos - 1
                        continue
                    if not depth_stack and kinds[i + 1] != SYMBOL and not (
                            row.braced_operands and texts[i - 1] != "attributes"
                            and not self._is(i + 2, "=")):
                        if op.syntax.attr_dict is not None:
                            raise self.error("unexpected second attribute dictionary", i)
                        if self._is(i - 1, "attributes") or texts[i - 1] == "attributes":
                            op.syntax.attr_keyword = starts[i - 1]
                        self._parse_attr_dict(op)
                        prev = self.pos - 1
                        continue
                    # A braced group inside a bracket group (`slices({[0, 9] = %a})`), a
                    # symbol list (`{@a::@b, @c}`) or an operand list (op table
                    # `braced_operands`): its values are operands, its symbols refs.
                    depth_stack.append("}")
                    keyword_for_group.append("")
                    self.pos += 1
                    prev = i
                    continue
                if t == "<":
                    end = self._skip_balanced(i)
                    if VALUE in kinds[i + 1:end - 1]:
                        # `hal.device.query<%device : !hal.device>`: operands in angles.
                        depth_stack.append(">")
                        keyword_for_group.append("")
                        self.pos += 1
                        prev = i
                        continue
                    self.pos = end
                    prev = self.pos - 1
                    continue
                if t in ("(", "["):
                    kw = texts[i - 1] if kinds[i - 1] == BARE and i - 1 > prev - 1 else ""
                    if kw and kinds[i + 1] == HASH and not depth_stack:
                        # keyword attribute: on(#x)
                        end = self._skip_balanced(i)
                        self._set_syntax_attr(op, kw, self._text(i + 1, end - 1))
                        self.pos = end
                        if op.syntax.first_group_end < 0:
                            op.syntax.first_group_end = starts[end - 1] + 1
                        prev = end - 1
                        continue
                    if kw == "loc":
                        self.pos = self._skip_balanced(i)
                        prev = self.pos - 1
                        continue
                    depth_stack.append(_OPEN[t])
                    keyword_for_group.append(kw)
                    if len(depth_stack) == 1:
                        outer_group_tok = i
                    self.pos += 1
                    prev = i
                    continue
                if t in (")", "]") or (t == "}" and depth_stack) or (
                        t == ">" and depth_stack and depth_stack[-1] == ">"):
                    if not depth_stack or depth_stack[-1] != t:
                        raise self.error(f"unexpected '{t}'")
                    depth_stack.pop()
                    keyword_for_group.pop()
                    if not depth_stack and t == ")" and op.syntax.first_group_end < 0:
                        op.syntax.first_group_end = starts[i] + 1
                    self.pos += 1
                    prev = i
                    continue
                if not depth_stack:
                    if t == "->" and not (regions_started and pending):
                        # (not the signature of a later region: `count(%w: index) -> (..)`)
                        arrow_tok = i
                    elif t == "=>":
                        fat_arrows.append(i)
                        if op.syntax.first_fat_arrow < 0:
                            op.syntax.first_fat_arrow = starts[i]
                    if t == ":" and not op.regions:
                        last_colon = i
                    if t in (":", "=") and colon_tok < 0 and not op.regions:
                        colon_tok = i
                        if op.syntax.first_colon < 0:
                            op.syntax.first_colon = starts[i]
                self.pos += 1
                prev = i
                continue
            if k == VALUE:
                nxt = i + 1
                if self._is(nxt, "=") and (depth_stack or not op.regions):
                    pending.append(_PendingArg(t, "", starts[i], init=True))
                    self.pos = nxt + 1
                    prev = nxt
                    continue
                if (depth_stack and self._is(nxt, ":") and (
                        (row.signature_args and not regions_started) or self._undefined(t))):
                    tstart = self._next_non_nl(nxt + 1)
                    tend = self._attr_end(tstart)
                    pending.append(_PendingArg(t, self._text(tstart, tend), starts[i], False))
                    self.pos = tend
                    if self._is(self.pos, "{"):
                        self.pos = self._skip_balanced(self.pos)
                    if texts[self.pos] == "loc" and self._is(self.pos + 1, "("):
                        self.pos = self._skip_balanced(self.pos + 1)
                    prev = self.pos - 1
                    continue
                if texts[nxt] == "as" and kinds[nxt + 1] == VALUE:
                    add_use(op, self._lookup(t, starts[i]))
                    tname = nxt + 1
                    ttype = ""
                    after = tname + 1
                    if self._is(after, ":"):
                        tend = self._attr_end(after + 1)
                        ttype = self._text(after + 1, tend)
                        after = tend
                    pending.append(_PendingArg(texts[tname], ttype, starts[tname], False))
                    self.pos = after
                    prev = after - 1
                    continue
                if arrow_tok >= 0 and (not depth_stack or outer_group_tok > arrow_tok) \
                        and self._in_type_position(i):
                    # `-> %x`, `-> (T, %x)`: tied result naming an operand; not a new use.
                    self.pos += 1
                    prev = i
                    continue
                if depth_stack and row.signature_args and not regions_started \
                        and arrow_tok < 0 and self._undefined(t):
                    # A signature argument spelled without `: type` right after its name
                    # (stream.cmd.func `%r[%offset for %length]: T`): declared, not used.
                    pending.append(_PendingArg(t, "", starts[i], False))
                    self.pos += 1
                    prev = i
                    continue
                value = self._lookup(t, starts[i])
                if pending and pending[-1].init and not pending[-1].type:
                    pending[-1].type = value.type or "?"
                if keyword_for_group and keyword_for_group[0] in row.trailing_operand_keywords:
                    trailing_ops.append(len(op.operands))
                add_use(op, value)
                self.pos += 1
                prev = i
                continue
            if k == CARET:
                self._parse_successor(op)
                prev = self.pos - 1
                continue
            if k == SYMBOL:
                j = i + 1
                while self._is(j, "::") and kinds[j + 1] == SYMBOL:
                    j += 2
                op.symbols.append(self._text(i, j))
                self.pos = j
                prev = j - 1
                continue
            if k == BARE and not depth_stack and kinds[i + 1] == HASH and t != "attributes":
                end = self._attr_end(i + 1)
                self._set_syntax_attr(op, t, self._text(i + 1, end))
                self.pos = end
                prev = end - 1
                continue
            if k == STRING and not depth_stack:
                op.syntax.strings.append(t)
            if row.leading_type_attr and not depth_stack and colon_tok < 0 and (
                    k == BANG or (k == BARE and ("<" in t or self._is(i + 1, "<")))) \
                    and row.leading_type_attr not in op.syntax_attrs:
                end = self._attr_end(i)
                op.syntax_attrs[row.leading_type_attr] = self._text(i, end)
                self.pos = end
                prev = end - 1
                continue
            if k == BARE and t in ("private", "public", "nested") and not op.symbols \
                    and not depth_stack:
                self._set_syntax_attr(op, "sym_visibility", f'"{t}"')
            if k == BARE and t == "loc" and self._is(i + 1, "("):
                self.pos = self._skip_balanced(i + 1)
                prev = self.pos - 1
                continue
            self.pos += 1
            prev = i
        if trailing_ops:
            order = [i for i in range(len(op.operands)) if i not in trailing_ops] + trailing_ops
            self._permute_operands(op, order)
        if row.reorder_operands is not None:
            self._permute_operands(op, row.reorder_operands(op, list(range(len(op.operands)))))
        if row.declares_type and last_colon >= 0:
            declared = self._type_list(last_colon + 1, None, None)
            if declared:
                op.syntax_attrs["type"] = declared[0]
        return self._custom_result_types(op, row, n_results, arrow_tok, colon_tok, fat_arrows)

    def _starts_op(self, j: int) -> bool:
        """Whether token j (first of a line) can begin an op, a block label or close a region."""
        k = self.kinds[j]
        if k == VALUE:  # `%x =`, `%x:2 =`, `%x, %y =`
            nxt = self.texts[j + 1]
            return nxt in ("=", ",") or (nxt == ":" and self.kinds[j + 2] == NUMBER)
        if k == STRING:
            return self._is(j + 1, "(")
        if k in (SYMBOL, NUMBER, HASH, BANG):
            return False
        if k == BARE and self._is(j + 1, "(") and "." not in self.texts[j] \
                and self.texts[j] not in optable.ALIASES:
            return False  # a keyword group of the op above (`channel(%c)`), not an op
        return True

    def _undefined(self, name: str) -> bool:
        base = name.partition("#")[0]
        for scope in reversed(self.scopes):
            if base in scope.values:
                return False
            if scope.isolated:
                break
        return True

    def _in_type_position(self, i: int) -> bool:
        """Whether the value token i follows '->' or a ',' in a result type list."""
        j = i - 1
        while self.kinds[j] == NL:
            j -= 1
        return self.texts[j] in ("->", ",", "(", "in")

    def _set_syntax_attr(self, op: Operation, key: str, value: str) -> None:
        op.syntax_attrs[key] = value

    @staticmethod
    def _permute_operands(op: Operation, order: list[int]) -> None:
        if order == list(range(len(op.operands))):
            return
        old = op.operands
        new_index = {old_i: new_i for new_i, old_i in enumerate(order)}
        op.operands = [old[i] for i in order]
        for value in set(old):
            for use in value.uses:
                if use.owner is op:
                    use.index = new_index[use.index]

    def _custom_result_types(self, op: Operation, row: optable.OpInfo, n: int, arrow_tok: int,
                             colon_tok: int, fat_arrows: list[int]) -> list[str]:
        if row.result_types == optable.ResultTypes.SAME_AS_OPERANDS:
            return [v.type for v in op.operands]
        trailing = fat_arrows[-1] if fat_arrows and fat_arrows[-1] > max(arrow_tok,
                                                                         colon_tok) else -1
        if n == 0 and row.result_types != optable.ResultTypes.LIKE_OPERANDS:
            if arrow_tok >= 0:
                self._result_types_after_arrow(arrow_tok, None, op)
            if trailing >= 0:  # unnamed results: `stream.resource.dealloca .. => !tp`
                return self._type_list(trailing + 1, None, op)
            return []
        if row.result_types == optable.ResultTypes.NOT_AFFINITY:
            return ["index"] * n
        if row.result_types == optable.ResultTypes.LIKE_OPERANDS:
            return [v.type for v in op.operands[:-1]]
        if arrow_tok >= 0:
            types = self._result_types_after_arrow(arrow_tok + 1, None, op)
        elif colon_tok >= 0 and self.texts[colon_tok] == ":":
            types = self._type_list(colon_tok + 1, None, op)
        elif len(fat_arrows) >= 2:  # `await(%t) => T{%s} => !stream.timepoint`
            types = self._type_list(fat_arrows[-2] + 1, None, op)
        else:
            types = []
        if trailing >= 0:
            # `... => !stream.timepoint`: trailing results after the last top-level '=>'.
            types = types + self._type_list(trailing + 1, None, op)
        return types[-n:] if len(types) >= n else types

    def _result_types_after_arrow(self, i: int, end: int | None,
                                  op: Operation | None = None) -> list[str]:
        """Types after a '->' (or in a generic `(..) -> (..)` signature starting at i)."""
        if end is not None:  # generic form: find the top-level '->' inside [i, end)
            j = i
            if self._is(j, "("):
                j = self._skip_balanced(j)
            if j < end and self._is(j, "->"):
                return self._type_list(j + 1, end, op)
            return []
        return self._type_list(i, None, op)

    def _type_list(self, i: int, end: int | None, op: Operation | None) -> list[str]:
        while self.kinds[i] == NL:
            i += 1
        if self._is(i, "{") and not self._region_follows(i):
            i = self._skip_balanced(i)  # `: {attrs} T` (AttrPlace.AFTER_COLON)
        if self._is(i, "(") and not self._is(self._skip_balanced(i), "->"):
            close = self._skip_balanced(i)
            return self._type_list(i + 1, close - 1, op)
        types: list[str] = []
        result_index = 0
        while True:
            while self.kinds[i] == NL:
                i += 1
            if end is not None and i >= end:
                break
            k = self.kinds[i]
            if k == VALUE:  # tied result
                tied_name = self.texts[i]
                ty = ""
                idx = self._operand_index(op, tied_name)
                if op is not None and idx is not None:
                    ty = op.operands[idx].type
                    op.tied[result_index] = idx
                i += 1
                if self._is(i, "as"):
                    tend = self._attr_end(i + 1)
                    ty = self._text(i + 1, tend)
                    i = tend
            elif k in (BARE, BANG, PUNCT) and not (k == PUNCT and self.texts[i] not in "(["):
                if k == BARE and self.kinds[i + 1] == PUNCT and self.texts[i + 1] == "(" \
                        and self.texts[i] in ("to", "from"):
                    i = self._skip_balanced(i + 1)  # stream.async.transfer `to(#x)`
                    continue
                tend = self._attr_end(i)
                ty = self._text(i, tend)
                i = tend
            else:
                break
            if self._is(i, "{"):
                i = self._skip_balanced(i)
            if self._is(i, "=") and (end is None or i < end):
                # `T{%s} = dense<1> : tensor<1xi32>`: an initial value after the type.
                i = self._attr_end(self._next_non_nl(i + 1))
                if self._is(i, ":"):
                    i = self._attr_end(self._next_non_nl(i + 1))
            if self.texts[i] == "in" and self.kinds[i] == BARE:  # `tensor<..> in !resource`
                if self.kinds[i + 1] == VALUE:  # `in %operand`: tied
                    idx = self._operand_index(op, self.texts[i + 1])
                    if op is not None and idx is not None:
                        ty = op.operands[idx].type
                        op.tied[result_index] = idx
                    tend = i + 2
                else:
                    tend = self._attr_end(i + 1)
                    ty = self._text(i + 1, tend)
                i = tend
                if self._is(i, "{"):
                    i = self._skip_balanced(i)
            types.append(self.module.resolve_type(ty))
            result_index += 1
            if (end is None or i < end) and self._is(i, ","):
                i += 1
                continue
            break
        return types

    @staticmethod
    def _operand_index(op: Operation | None, name: str) -> int | None:
        if op is None:
            return None
        for idx, v in enumerate(op.operands):
            if v.name == name:
                return idx
        return None

    # ---------------------------------------------------------------- regions
    def _parse_region(self, op: Operation, entry_args: list[_PendingArg]) -> Region:
        open_tok = self._expect("{")
        region = Region(parent=op, start=self.starts[open_tok])
        row = optable.info(op)
        isolated = row.role in (optable.Role.FUNCTION, optable.Role.MODULE, optable.Role.OBJECT) \
            or row.signature_args
        scope = self._push_scope(isolated)
        block: Block | None = None
        if entry_args:
            block = Block(parent=region, loc=self._loc(self.starts[open_tok]))
            region.blocks.append(block)
            for arg in entry_args:
                value = block.add_argument(self.module.resolve_type(arg.type), arg.name,
                                           self._loc(arg.offset))
                self._define(arg.name, value, arg.offset)
        while True:
            self._skip_nl()
            k = self.kinds[self.pos]
            if k == EOF:
                raise self.error("expected '}' to close the region opened here", open_tok)
            if self._is(self.pos, "}"):
                self.pos += 1
                break
            if k == CARET:
                block = self._parse_block_label(region, scope, block)
                continue
            if block is None:
                block = Block(parent=region, loc=self._loc(self.starts[self.pos]))
                region.blocks.append(block)
            block.ops.append(self._parse_op(block))
        self._pop_scope()
        region.end = self.starts[self.pos - 1] + 1
        return region

    def _parse_block_label(self, region: Region, scope: _Scope,
                           current: Block | None) -> Block:
        label = self.texts[self.pos]
        offset = self.starts[self.pos]
        self.pos += 1
        block = scope.labels.get(label)
        if block is None:
            block = Block(label=label)
            scope.labels[label] = block
        elif block.parent is not None:
            raise self.error(f"redefinition of block '{label}'", self.pos - 1)
        block.loc = self._loc(offset)
        if current is not None and not current.ops and not current.label \
                and current.arguments and not region.blocks[1:]:
            # The op syntax declared the entry arguments and the region names its entry block.
            region.blocks.remove(current)
        block.parent = region
        region.blocks.append(block)
        if self._is(self.pos, "("):
            self.pos += 1
            while True:
                self._skip_nl()
                if self._is(self.pos, ")"):
                    self.pos += 1
                    break
                if self.kinds[self.pos] != VALUE:
                    raise self.error("expected block argument name")
                name = self.texts[self.pos]
                aoff = self.starts[self.pos]
                self.pos += 1
                self._expect(":")
                self._skip_nl()
                tend = self._attr_end(self.pos)
                ty = self._text(self.pos, tend)
                self.pos = tend
                self._skip_loc()
                if name in scope.values and current is not None and block is not current \
                        and any(a.name == name for a in current.arguments):
                    # Re-declared entry args (explicit label after syntax-declared args).
                    existing = scope.values[name]
                    assert not isinstance(existing, list)
                    scope.values.pop(name)
                    value = block.add_argument(self.module.resolve_type(ty), name,
                                               self._loc(aoff))
                    self._replace_forward(existing, value)
                    scope.values[name] = value
                else:
                    value = block.add_argument(self.module.resolve_type(ty), name,
                                               self._loc(aoff))
                    self._define(name, value, aoff)
                self._skip_nl()
                if self._is(self.pos, ","):
                    self.pos += 1
        self._expect(":")
        return block


def parse(source: str, filename: str = "<input>") -> Module:
    """Parse MLIR text into a Module; raise PlacementError with a location on bad input."""
    if "\x00" in source:
        raise PlacementError("input is not MLIR text (it contains NUL bytes)", filename,
                             source, source.index("\x00"))
    if not source.strip():
        raise PlacementError("empty input: expected a module or top-level operations",
                             filename, source, 0)
    return Parser(source, filename).parse()
