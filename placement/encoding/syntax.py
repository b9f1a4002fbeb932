"""Where the tensor types of stream tensor ops stand in the source text.

The IR keeps an op's custom syntax only as a source span; the rewrite needs the exact spans of
the `tensor<...>` types it retypes (the result of `stream.tensor.encode`, the type of
`stream.tensor.sizeof`, the operand and result encodings of `stream.tensor.dispatch`) and the
SSA names around them (dims `{%n}`, `in !resource{%size}`, tied `in %x{%size}`). This module
finds them on the module's token stream, so that edits replace just those bytes.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from placement import ops as optable
from placement.ir.core import Module, Operation
from placement.ir.lexer import BARE, NL, PUNCT, VALUE, Tokens, tokenize

_OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}


@dataclass
class TypeEntry:
    """One entry of a type signature: `T{dims} in !res{size}` or `T{dims} in %tied{size}`."""

    start: int  # span of the type itself (`tensor<...>` or `index`)
    end: int
    text: str
    is_tensor: bool
    encoding_span: tuple[int, int] | None = None  # span of `, #enc` inside `tensor<...>`
    shape_text: str = ""  # `4096x?xf32` (shape and element, as written)
    dims: list[str] = field(default_factory=list)
    dims_text: str = ""  # `{%a, %b}` as written, or ""
    resource_text: str = ""  # `!stream.resource<*>` after `in`, if any
    tied: str = ""  # `%x` after `in`, if tied
    size: list[str] = field(default_factory=list)  # names in the `{...}` after `in ...`

    def retyped(self, encoding_text: str | None) -> str:
        """The tensor type text with its encoding replaced (None removes it)."""
        enc = f", {encoding_text}" if encoding_text else ""
        return f"tensor<{self.shape_text}{enc}>"


@dataclass
class Signature:
    """The type entries of one op, by role."""

    operands: list[TypeEntry] = field(default_factory=list)
    results: list[TypeEntry] = field(default_factory=list)
    workload: list[str] = field(default_factory=list)  # dispatch `[...]` values
    affinity_text: str = ""  # `on(...)` as written, or ""


class OpText:
    """Token-level access to the custom syntax of ops of one module."""

    def __init__(self, module: Module) -> None:
        self.module = module
        raw = tokenize(module.source, module.filename, split_angles=True)
        self.toks = Tokens()  # without newline tokens
        for k, t, st in zip(raw.kinds, raw.texts, raw.starts, strict=True):
            if k != NL:
                self.toks.kinds.append(k)
                self.toks.texts.append(t)
                self.toks.starts.append(st)

    def token_range(self, op: Operation) -> tuple[int, int]:
        """Token indices [i, j) covering the op's text."""
        starts = self.toks.starts
        i = bisect.bisect_left(starts, op.syntax.start)
        j = bisect.bisect_left(starts, op.syntax.end)
        return i, j

    def _close(self, i: int) -> int:
        """Index of the bracket closing the one at i."""
        kinds, texts = self.toks.kinds, self.toks.texts
        stack = [_OPEN[texts[i]]]
        j = i + 1
        while stack and j < len(texts):
            if kinds[j] == PUNCT:
                if texts[j] in _OPEN:
                    stack.append(_OPEN[texts[j]])
                elif stack and texts[j] == stack[-1]:
                    stack.pop()
            j += 1
        return j - 1

    def _end_of(self, j: int) -> int:
        return self.toks.starts[j] + len(self.toks.texts[j])

    def _group_values(self, i: int) -> tuple[list[str], int]:
        """Value names inside the bracket group at i, and the index past it."""
        close = self._close(i)
        names = [self.toks.texts[k] for k in range(i + 1, close) if self.toks.kinds[k] == VALUE]
        return names, close + 1

    def _is(self, i: int, text: str) -> bool:
        return self.toks.texts[i] == text and self.toks.kinds[i] in (PUNCT, BARE)

    def _entry(self, i: int, stop: int) -> tuple[TypeEntry, int]:
        """Scan one type entry starting at token i; return it and the index past it."""
        texts, starts, src = self.toks.texts, self.toks.starts, self.module.source
        if self.toks.kinds[i] == BARE and texts[i] == "tensor" and self._is(i + 1, "<"):
            close = self._close(i + 1)
            inner_start = self._end_of(i + 1)
            comma = -1
            depth = 0
            for k in range(i + 2, close):
                t = texts[k]
                if self.toks.kinds[k] == PUNCT:
                    if t in _OPEN:
                        depth += 1
                    elif t in (")", "]", "}", ">"):
                        depth -= 1
                    elif t == "," and depth == 0 and comma < 0:
                        comma = k
            if comma >= 0:
                shape_text = src[inner_start:starts[comma]].strip()
                enc_span: tuple[int, int] | None = (starts[comma], starts[close])
            else:
                shape_text = src[inner_start:starts[close]].strip()
                enc_span = None
            entry = TypeEntry(starts[i], self._end_of(close), src[starts[i]:self._end_of(close)],
                              True, enc_span, shape_text)
            j = close + 1
        else:
            # A non-tensor type: up to the next top-level ',' / ')' / '->' / 'in' / '{'.
            j = i
            while j < stop and not (self.toks.kinds[j] == PUNCT and texts[j] in (",", ")", "->",
                                                                                 "{")):
                if self._is(j, "in"):
                    break
                if self.toks.kinds[j] == PUNCT and texts[j] in ("(", "[", "<"):
                    j = self._close(j)
                j += 1
            end = self._end_of(j - 1)
            entry = TypeEntry(starts[i], end, src[starts[i]:end], False)
        if j < stop and self._is(j, "{"):
            entry.dims, nxt = self._group_values(j)
            entry.dims_text = src[starts[j]:self._end_of(nxt - 1)]
            j = nxt
        if j < stop and self._is(j, "in"):
            j += 1
            if self.toks.kinds[j] == VALUE:
                entry.tied = texts[j]
                j += 1
            else:
                k = j + 1
                if self._is(k, "<"):
                    k = self._close(k) + 1
                entry.resource_text = src[starts[j]:self._end_of(k - 1)]
                j = k
            if j < stop and self._is(j, "{"):
                entry.size, j = self._group_values(j)
        return entry, j

    def _entries(self, i: int, stop: int) -> list[TypeEntry]:
        """Comma-separated entries from i to stop (exclusive)."""
        out = []
        while i < stop:
            entry, i = self._entry(i, stop)
            out.append(entry)
            if i < stop and self._is(i, ","):
                i += 1
            else:
                break
        return out

    def signature(self, op: Operation) -> Signature:
        """The type entries of a `stream.tensor.{sizeof,encode,dispatch}`-like op."""
        i, j = self.token_range(op)
        texts, kinds = self.toks.texts, self.toks.kinds
        sig = Signature()
        k = i
        # Skip results and the name.
        while k < j and not (kinds[k] == BARE and texts[k] == op.name):
            k += 1
        k += 1
        tensors_top: list[TypeEntry] = []
        while k < j:
            t = texts[k]
            if kinds[k] == BARE and t == "on" and self._is(k + 1, "("):
                close = self._close(k + 1)
                sig.affinity_text = self.module.source[self.toks.starts[k]:self._end_of(close)]
                k = close + 1
                continue
            if kinds[k] == PUNCT and t == "[" and not sig.workload and not tensors_top:
                sig.workload, k = self._group_values(k)
                continue
            if kinds[k] == PUNCT and t == ":" and \
                    optable.info(op).encoding == optable.EncodingRole.DISPATCH:
                k += 1
                if self._is(k, "("):
                    close = self._close(k)
                    sig.operands = self._entries(k + 1, close)
                    k = close + 1
                if self._is(k, "->"):
                    k += 1
                    if self._is(k, "("):
                        close = self._close(k)
                        sig.results = self._entries(k + 1, close)
                    else:
                        sig.results = self._entries(k, j)
                break
            if kinds[k] == BARE and t == "tensor" and self._is(k + 1, "<"):
                entry, k = self._entry(k, j)
                tensors_top.append(entry)
                continue
            if kinds[k] == PUNCT and t in ("(", "[", "{"):
                k = self._close(k) + 1
                continue
            k += 1
        if optable.info(op).encoding != optable.EncodingRole.DISPATCH:
            sig.operands = tensors_top[:1]
            sig.results = tensors_top[1:]
        return sig

    def value_spans(self, op: Operation, name: str) -> list[tuple[int, int]]:
        """Spans of the value token `name` in the op's own text (nested regions excluded)."""
        i, j = self.token_range(op)
        skip = [(r.start, r.end) for r in op.regions]
        out = []
        for k in range(i, j):
            if self.toks.kinds[k] == VALUE and self.toks.texts[k] == name:
                s = self.toks.starts[k]
                if any(a <= s < b for a, b in skip):
                    continue
                out.append((s, s + len(name)))
        return out

    def all_value_names(self) -> set[str]:
        """Every SSA name spelled in the module (for fresh names)."""
        return {t.partition("#")[0] for k, t in zip(self.toks.kinds, self.toks.texts,
                                                     strict=True) if k == VALUE}

    def line_indent(self, op: Operation) -> str:
        """The indentation of the line the op starts on."""
        src = self.module.source
        line_start = src.rfind("\n", 0, op.syntax.start) + 1
        text = src[line_start:op.syntax.start]
        return text if text.strip() == "" else " " * len(text)


@dataclass
class GlobalDecl:
    """What a `util.global` declares: name, mutability, initial value and type texts."""

    name: str
    mutable: bool
    initial: str
    type: str
    op: Operation


def global_decl(text: OpText, op: Operation) -> GlobalDecl | None:
    """Read `util.global [visibility] [mutable] @name [= value] [: type]`."""
    i, j = text.token_range(op)
    kinds, texts, src = text.toks.kinds, text.toks.texts, text.module.source
    mutable = False
    k = i
    while k < j and kinds[k] != "symbol":
        if kinds[k] == BARE and texts[k] == "mutable":
            mutable = True
        k += 1
    if k >= j:
        return None
    name = texts[k][1:]
    k += 1
    initial = ""
    type_text = ""
    if k < j and text._is(k, "="):
        start = k + 1
        m = start
        while m < j and not (text._is(m, ":") or text._is(m, "{")):
            if kinds[m] == PUNCT and texts[m] in ("(", "[", "<"):
                m = text._close(m)
            m += 1
        initial = src[text.toks.starts[start]:text._end_of(m - 1)].strip()
        k = m
    if k < j and text._is(k, ":"):
        type_text = src[text.toks.starts[k + 1]:op.syntax.end].strip()
    return GlobalDecl(name, mutable, initial, type_text, op)


def inner_tensors(text: OpText, op: Operation) -> list[TypeEntry]:
    """Every outermost `tensor<...>` in the op's own text, at any bracket depth (as inside
    `!iree_tensor_ext.dispatch.tensor<readonly:tensor<...>>`)."""
    i, j = text.token_range(op)
    out: list[TypeEntry] = []
    k = i
    while k < j:
        if text.toks.kinds[k] == BARE and text.toks.texts[k] == "tensor" and text._is(k + 1, "<"):
            close = text._close(k + 1)
            entry, _ = text._entry(k, close + 1)
            out.append(entry)
            k = close + 1
            continue
        k += 1
    return out


def symbol_spans(text: OpText, op: Operation, symbol: str) -> list[tuple[int, int]]:
    """Spans of the symbol token `symbol` (e.g. `@ex`) in the op's text."""
    i, j = text.token_range(op)
    return [(text.toks.starts[k], text.toks.starts[k] + len(symbol)) for k in range(i, j)
            if text.toks.kinds[k] == "symbol" and text.toks.texts[k] == symbol]
