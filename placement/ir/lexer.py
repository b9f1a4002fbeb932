"""Tokenizer for MLIR's textual IR.

One compiled regular expression splits the text into tokens; token kinds are short strings.
A name followed by a flat angle group (`tensor<4x?xf32>`, `#hal.device.promise<@d>`) is one
token, which keeps the token count (and the parse time) down; nested or bracketed groups
(`dense<[1, 2]>`, `affine_map<(d0) -> (d0)>`) are tokenized piece by piece, and so is a
group holding a character MLIR's lexer rejects (a backslash, non-ASCII), which then is an
`unexpected character` error as anywhere else outside strings and comments.
Newlines are whitespace (MLIR is whitespace-insensitive; no NL tokens are produced). A dotted
name (`hal.element_type<f32>`: an op name) never takes the angle group with it.
Comments are dropped from the token stream but their spans are kept (the printer removes them,
as `iree-opt` does).
"""

from __future__ import annotations

import heapq
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from operator import eq, itemgetter

from placement.diagnostics import Note, PlacementError

# Token kinds.
NL = "nl"
VALUE = "value"  # %name or %name#3
SYMBOL = "symbol"  # @name or @"name"
CARET = "caret"  # ^bb1
HASH = "hash"  # #alias or #dialect.attr
BANG = "bang"  # !alias or !dialect.type
STRING = "string"
NUMBER = "number"
BARE = "bare"
PUNCT = "punct"
EOF = "eof"

_TOKEN_PATTERN = (
    r"""
    (?P<ws>[ \t\r\f\v\n]+)
  | (?P<comment>//[^\n\r]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<value>%(?:[A-Za-z_$.\-][\w$.\-]*|\d+)(?:\#\d+)?)
  | (?P<symbol>@(?:[A-Za-z_$.\-][\w$.\-]*|\d+|"(?:[^"\\\n]|\\.)*"))
  | (?P<caret>\^[\w$.\-]+)
  | (?P<hash>\#[A-Za-z_$.\-][\w$.\-]*(?:<[^<>"\n(){}\[\]%\\\x80-\U0010ffff]*>)?)
  | (?P<bang>![A-Za-z_$.\-][\w$.\-]*(?:<[^<>"\n(){}\[\]%\\\x80-\U0010ffff]*>)?)
  | (?P<number>0x[0-9A-Fa-f]+|\d+(?:\.\d*(?:[eE][+-]?\d+)?)?)
  | (?P<bare>[A-Za-z_][\w$]*\.[\w$.]*|[A-Za-z_][\w$]*(?:<[^<>"\n(){}\[\]%\\\x80-\U0010ffff]*>)?)
  | (?P<punct>->|::|>=|<=|==|\.\.\.|[(){}\[\]<>,=:*?+\-/|&~;!.])
  | (?P<bad>.)
    """
)
_ANGLE = r'(?:<[^<>"\n(){}\[\]%\\\x80-\U0010ffff]*>)?'
_TOKEN_RE = re.compile(_TOKEN_PATTERN, re.VERBOSE)
_SPLIT_TOKEN_RE = re.compile(_TOKEN_PATTERN.replace(_ANGLE, ""), re.VERBOSE)


def _piece_pattern(pattern: str) -> re.Pattern[str]:
    """The token pattern without groups and without `bad`, most frequent tokens first, each
    token taking the whitespace after it: its `findall` (after the leading whitespace) lists
    every token and comment of a text `_TOKEN_RE` reads without a bad character, each with
    the whitespace that follows (each token starts with a character no other alternative
    starts with, except `//` and `!x`, kept before `/` and `!`)."""
    alts = {}
    for alt in pattern.strip().split("\n  | "):
        m = re.fullmatch(r"\(\?P<(\w+)>(.*)\)", alt.strip(), re.S)
        assert m is not None, alt
        alts[m.group(1)] = m.group(2)
    # One scan for a bare word (the two spellings share the leading identifier).
    dotted, _, plain = alts["bare"].partition("|")
    assert dotted == r"[A-Za-z_][\w$]*\.[\w$.]*" and plain.startswith(r"[A-Za-z_][\w$]*")
    alts["bare"] = r"[A-Za-z_][\w$]*(?:\.[\w$.]*|" + (plain[len(r"[A-Za-z_][\w$]*"):] or
                                                    "") + ")"
    order = ("value", "bare", "comment", "bang", "punct", "number", "hash", "symbol", "string",
             "caret")
    assert set(order) == set(alts) - {"bad", "ws"}
    ws = alts["ws"]
    assert ws.endswith("]+")
    return re.compile("(?:" + "|".join(f"(?:{alts[k]})" for k in order) + ")" + ws[:-1] + "*")


_PIECE_RE = _piece_pattern(_TOKEN_PATTERN)
_SPLIT_PIECE_RE = _piece_pattern(_TOKEN_PATTERN.replace(_ANGLE, ""))
# A piece's kind from its first character (None: whitespace); `/` and a lone `!` are fixed
# up afterwards.
_KIND_OF: dict[str, str | None] = {c: None for c in " \t\r\f\v\n"}
_KIND_OF.update({c: "number" for c in "0123456789"})
_KIND_OF.update({c: "bare" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"})
_KIND_OF.update({c: "punct" for c in "(){}[]<>,=:*?+-|&~;."})
_KIND_OF.update({'"': "string", "%": "value", "@": "symbol", "^": "caret", "#": "hash",
                 "!": "bang", "/": "/"})
_SLASH = "/"  # the kind of a `/` piece until it is told apart from a comment
_SPACE = " \t\r\f\v\n"
_COMMENT_RE = re.compile(r"//[^\n\r]*")
_FIRST = itemgetter(0)


@dataclass(slots=True)
class Tokens:
    """Parallel arrays of token kinds, texts and start offsets, ending with an EOF token."""

    kinds: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    comments: list[tuple[int, int]] = field(default_factory=list)


# Pieces of an attribute or type text, for `normalize`: a string literal, a whitespace and
# comment run, punctuation, a word (`tensor`, `4xi32`, `#a.b`, `-1`, `1.0e+00`), any other char.
_NORM_PIECE_RE = re.compile(
    r"""("(?:[^"\\\n]|\\.)*")|((?:\s|//[^\n\r]*)+)|(->|::|>=|<=|==|[(){}\[\]<>,=:])"""
    r"""|((?:[^\s(){}\[\]<>,=:"/\-]|-(?!>)|/(?!/))+)|(.)""")
_NEEDS_NORM_RE = re.compile(r"[\s/,=:]")
_OPENERS = frozenset("([{<")
_CLOSERS = frozenset(")]}>,")
_SPACED = frozenset(("->", "=", "==", ">=", "<="))
_norm_cache: dict[str, str] = {}


def normalize(text: str) -> str:
    """An attribute or type text spelled as MLIR prints it, whatever its layout: comments
    dropped, no space inside brackets or before a comma, one after a comma and around `=` and
    `->`, `value : type` (but `key:` after `<` tight: `readonly:tensor<..>`, `array<i32: 1>`),
    none before `<` or around `::`, elsewhere one space where the text has any. Strings are
    kept as written. Text already spelled so is returned unchanged."""
    out = _norm_cache.get(text)
    if out is None:
        out = text if _NEEDS_NORM_RE.search(text) is None else _normalize(text)
        _norm_cache[text] = out
    return out


def _normalize(text: str) -> str:
    pieces: list[str] = []
    gaps: list[bool] = []  # gaps[k]: whitespace or a comment stood before pieces[k]
    gap = False
    for m in _NORM_PIECE_RE.finditer(text):
        if m.lastindex == 2:
            gap = True
            continue
        pieces.append(m.group())
        gaps.append(gap)
        gap = False
    out: list[str] = []
    tight_colon = -1  # index of a `key:` colon (a word right after `<`)
    for k, b in enumerate(pieces):
        if k == 0:
            out.append(b)
            continue
        a = pieces[k - 1]
        if b == ":" and k >= 2 and pieces[k - 2] == "<" and a[:1].isalpha():
            tight_colon = k
        if b in _CLOSERS or a in _OPENERS or a == "::" or b == "::":
            sep = ""
        elif a == ",":
            sep = " "
        elif a in _SPACED or b in _SPACED:
            sep = " "
        elif b == ":":
            sep = "" if tight_colon == k else " "
        elif a == ":":
            sep = ("" if b[:1].isalpha() else " ") if tight_colon == k - 1 else " "
        elif b == "<":
            sep = ""
        else:
            sep = " " if gaps[k] else ""
        out.append(sep)
        out.append(b)
    return "".join(out)


def split_top_level(text: str) -> list[str]:
    """`a, b<c, d>, (e) -> f` split on the commas outside brackets (`->` closes nothing)."""
    out: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}" and not (ch == ">" and i and text[i - 1] == "-"):
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


class _Texts(dict[str, str]):
    """A piece -> its token text (the piece without its trailing whitespace), one interned
    string per distinct text (a dictionary lookup per piece is faster than `str.rstrip`)."""

    def __missing__(self, piece: str) -> str:
        text = self[piece] = sys.intern(piece.rstrip(_SPACE))
        return text


def tokenize(source: str, filename: str, split_angles: bool = False) -> Tokens:
    """Split `source` into tokens; raise a located PlacementError on a character MLIR rejects.

    With `split_angles`, flat angle groups are tokenized piece by piece too (`tensor`, `<`, ...).
    """
    # One `findall` lists the pieces (a token or comment with the whitespace after it); the
    # offsets, texts and kinds are whole-list operations. Pieces that do not tile the source
    # mean a bad character: `_tokenize_slow` then finds it (the first one is reported).
    lead = len(source) - len(source.lstrip(_SPACE))
    pieces = (_SPLIT_PIECE_RE if split_angles else _PIECE_RE).findall(source, lead)
    starts = list(accumulate(map(len, pieces), initial=lead))
    if starts.pop() != len(source):
        return _tokenize_slow(source, filename, split_angles)
    try:
        kinds: list[str | None] = list(map(_KIND_OF.__getitem__, map(_FIRST, pieces)))
    except KeyError:  # a number in other digits than 0-9 (`\d`): read match by match
        return _tokenize_slow(source, filename, split_angles)
    # (no token ends in whitespace; one string object per distinct text: a module repeats
    # its names, types and punctuation, and the IR keeps many of these strings)
    texts = list(map(_Texts().__getitem__, pieces))
    comments: list[tuple[int, int]] = []
    if "/" in source:
        for i in compress(range(len(pieces)), map(eq, kinds, repeat(_SLASH))):
            if texts[i] == "/":
                kinds[i] = PUNCT
            else:
                kinds[i] = None
                comment = _COMMENT_RE.match(source, starts[i])
                assert comment is not None
                comments.append((starts[i], comment.end()))
        if comments:
            texts = list(compress(texts, kinds))
            starts = list(compress(starts, kinds))
            kinds = list(filter(None, kinds))
    if "!" in texts:  # a lone `!` is punctuation
        for i in compress(range(len(texts)), map(eq, texts, repeat("!"))):
            kinds[i] = PUNCT
    kinds.append(EOF)
    texts.append("")
    starts.append(len(source))
    return Tokens(kinds, texts, starts, comments)  # type: ignore[arg-type]


def _tokenize_slow(source: str, filename: str, split_angles: bool) -> Tokens:
    """`tokenize` match by match (raises at the first bad character)."""
    toks = Tokens()
    kinds, texts, starts = toks.kinds, toks.texts, toks.starts
    pattern = _SPLIT_TOKEN_RE if split_angles else _TOKEN_RE
    for m in pattern.finditer(source):
        kind = m.lastgroup
        if kind == "ws":
            continue
        start = m.start()
        if kind == "comment":
            toks.comments.append((start, m.end()))
            continue
        text = m.group()
        if kind == "bad":
            if text == '"':
                raise PlacementError("expected '\"' in string literal", filename, source, start)
            raise PlacementError("unexpected character", filename, source, start)
        kinds.append(kind)  # type: ignore[arg-type]
        texts.append(text)
        starts.append(start)
    kinds.append(EOF)
    texts.append("")
    starts.append(len(source))
    return toks


# Literals MLIR's lexer and attribute parser reject and the token stream alone does not show:
# an integer `N : iW` out of its type's range, a dimension of 2^63 or more, `1e5` (MLIR
# lexes the `1` and then an identifier `e5`: a float needs its `.`).
_INT = r"-?(?:0x[0-9A-Fa-f]+|\d+)"
_WS = r"[ \t\r\n]*"
# Each pattern starts with a literal or a small class, so that the scans stay fast; the
# context before a match is checked afterwards.
_DENSE_RE = re.compile(rf"dense<(\[?[-\w, ]*\]?)>{_WS}:{_WS}(?:tensor|vector)<(?:[\d?]+x)*"
                       r"([su]?i\d+|index)>")
_ITYPE_RE = re.compile(rf":{_WS}([su]?i\d+|index)\b")
_INT_BEFORE_RE = re.compile(rf"(?<![\w.$\-])({_INT}){_WS}\Z")
_FLOAT_TYPE = r"(?:[bt]?f\d+\w*)"
_DENSE_FLOAT_RE = re.compile(rf"dense<(\[?[-\w., \[\]]*\]?)>{_WS}:{_WS}(?:tensor|vector)<"
                             rf"(?:[\d?]+x)*{_FLOAT_TYPE}>")
_FTYPE_RE = re.compile(rf":{_WS}{_FLOAT_TYPE}\b")
_DECIMAL_RE = re.compile(r"(?<![\w.+\-])-?\d+(?![\w.])")
_DECIMAL_BEFORE_RE = re.compile(rf"(?<![\w.$+\-])({_INT}){_WS}\Z")  # not `1.0e+00`'s `00`
_DENSE_VALUE = r"-?(?:0x[0-9A-Fa-f]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?(?![\w.])|[A-Za-z_][\w.]*)"
# A `dense<...>` body of one element: always well formed.
_DENSE_SCALAR_RE = re.compile(rf"[ \t\r\n]*{_DENSE_VALUE}[ \t\r\n]*")
_DENSE_BODY_RE = re.compile(r"dense<([-\w.+ \t\r\n,\[\]]*)>")  # not after [\w.$-] (tested)
_DENSE_PIECE_RE = re.compile(rf"[ \t\r\n]*(?:(\[)|(\])|(,)|({_DENSE_VALUE}))")


def _dense_list_error(source: str, i: int, end: int) -> tuple[int, str] | None:
    """MLIR's error in the element list of `dense<...>` (text [i, end)): after an element,
    a `,` or the list's closer (`]`, or the `>`), else `expected ']'` / `expected '>'` at the
    wrong token; None where the list is well formed or not a plain one."""
    depth = 0
    after_value = False
    while True:
        m = _DENSE_PIECE_RE.match(source, i, end)
        if m is None:
            if source[i:end].strip():
                return None
            if after_value or depth == 0:
                return (wrong_token_offset(source, end), "expected ']'") if depth else None
            return None
        at = m.start(m.lastindex or 0)
        if after_value and m.lastindex not in (2, 3):
            return wrong_token_offset(source, at), "expected ']'" if depth else "expected '>'"
        if m.lastindex == 1:
            depth += 1
            after_value = False
        elif m.lastindex == 2:
            if depth == 0:
                return None
            depth -= 1
            after_value = True
        elif m.lastindex == 3:
            after_value = False
        else:
            after_value = True
        i = m.end()


_DIM_RE = re.compile(r"[<x](\d{19,})(?=x)")
_EXP_RE = re.compile(r"[eE](?<=\d[eE])[+-]?\d")
_EXP_START_RE = re.compile(r"(?<![\w.$\-])-?\d+\Z")
_DENSE_INT_RE = re.compile(_INT)
_NAMES = frozenset((STRING, VALUE, SYMBOL, CARET, EOF))
_INDEX_BITS = 64


def _bounded_int(digits: str, width: int) -> int | None:
    """The value of a decimal or `0x` literal, or None when it has more bits than `width`
    (decided from its length first, so that a 5,000-digit literal is never converted)."""
    hexa = digits[:2] in ("0x", "0X")
    body = (digits[2:] if hexa else digits).lstrip("0")
    bits_per_digit = 4.0 if hexa else 3.3219280948873626
    if (len(body) - 1) * bits_per_digit >= width + 1:
        return None
    if hexa:
        return int(body or "0", 16)
    limit = sys.get_int_max_str_digits()
    try:
        sys.set_int_max_str_digits(0)
        return int(body or "0")
    finally:
        sys.set_int_max_str_digits(limit)


def _int_fits(text: str, itype: str) -> bool:
    """Whether MLIR's integer attribute parser accepts `text : itype` (signless: as signed or
    unsigned in the width; `-0` is rejected, as MLIR does)."""
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    width = _INDEX_BITS if itype == "index" else int(itype.lstrip("su")[1:])
    if width >= 32 and len(digits) <= 9 and digits.isdigit() and digits.isascii():
        return not negative or int(digits) != 0  # (below 2^30: fits any 32-bit or wider)
    value = _bounded_int(digits, width)
    if value is None or value.bit_length() > width:
        return False
    if width == 0:
        return not negative
    if negative:
        return 0 < value <= 1 << (width - 1)
    if itype == "index" or itype.startswith("si"):
        return value < 1 << (width - 1)
    return True


def check_literals(source: str, filename: str, toks: Tokens) -> None:
    """Raise a located PlacementError, as iree-opt, at the first out-of-range integer
    attribute (`N : iW`, `dense<N> : tensor<..xiW>`), dimension of 2^63 or more, or exponent
    without a `.` (`1e5`), outside strings, names and comments."""
    starts, kinds, texts = toks.starts, toks.kinds, toks.texts

    def in_token(at: int) -> bool:
        k = bisect_right(starts, at) - 1
        return k >= 0 and kinds[k] not in _NAMES and at < starts[k] + len(texts[k])

    found: list[tuple[int, str]] = []
    for m in _DENSE_RE.finditer(source):
        base = m.start(1)
        for n in _DENSE_INT_RE.finditer(m.group(1)):
            at = base + n.start() + n.group().startswith("-")
            if not _int_fits(n.group(), m.group(2)) and in_token(at):
                found.append((at, "integer constant out of range for type"))
                break
    for m in _ITYPE_RE.finditer(source):
        num = _INT_BEFORE_RE.search(source, max(0, m.start() - 48), m.start())
        if num is None or _int_fits(num.group(1), m.group(1)):
            continue
        at = num.start(1) + num.group(1).startswith("-")
        if in_token(num.start(1)):
            found.append((at, "integer constant out of range for attribute"))
    for m in _DIM_RE.finditer(source):
        if int(m.group(1)) >= 1 << 63 and in_token(m.start(1)):
            found.append((m.start(1), "invalid dimension"))
    for m in _EXP_RE.finditer(source):
        num = _EXP_START_RE.search(source, max(0, m.start() - 48), m.start())
        if num is None or not in_token(num.start()):
            continue
        before = source[:num.start()].rstrip()[-1:]
        expected = {"<": "'>'", "[": "']'", ",": "']'"}.get(before, "a '.' in a float")
        found.append((m.start(), f"expected {expected}"))
    # A decimal integer where a float is expected (`1 : f32`, `dense<[1.0, 2]> : tensor<..f32>`;
    # MLIR's hex `0x3F800000` is the float's bits and allowed).
    decimal = "unexpected decimal integer literal for a floating point value"
    floats: list[int] = []
    for m in _DENSE_FLOAT_RE.finditer(source):
        for n in _DECIMAL_RE.finditer(m.group(1)):
            at = m.start(1) + n.start() + n.group().startswith("-")
            if not n.group().lstrip("-").startswith("0x") and in_token(at):
                floats.append(at)
                break
    for m in _FTYPE_RE.finditer(source):
        num = _DECIMAL_BEFORE_RE.search(source, max(0, m.start() - 48), m.start())
        if num is None or num.group(1).lstrip("-").startswith("0x"):
            continue
        at = num.start(1) + num.group(1).startswith("-")
        if in_token(num.start(1)):
            floats.append(at)
    found.extend((at, decimal) for at in floats)
    for m in _DENSE_BODY_RE.finditer(source):
        if m.start() and (source[m.start() - 1] in ".$-_" or source[m.start() - 1].isalnum()):
            continue
        if _DENSE_SCALAR_RE.fullmatch(source, m.start(1), m.end(1)):
            continue  # one element: nothing to separate
        error = _dense_list_error(source, m.start(1), m.end(1))
        if error is not None and in_token(m.start()):
            found.append(error)
    shaped: dict[int, str] = {}
    scans = (r.finditer(source) for r in _SHAPED_SCAN_RES)  # common spellings skipped
    for m in heapq.merge(*scans, key=lambda m: m.start()):
        if m.start() and (source[m.start() - 1] in _SHAPED_NOT_AFTER or
                          source[m.start() - 1].isalnum()):
            continue
        error = _shaped_error(source, m.start(), m.group(1), m.end())
        if error is not None and in_token(m.start()):
            shaped.setdefault(*error)
    found.extend(shaped.items())
    if found:
        at = min(found)[0]
        message = shaped.get(at) or min(found)[1]  # `1e5` in a dimension list: the list's error
        notes = (Note("add a trailing dot to make the literal a float", at),) \
            if message == decimal else ()
        raise PlacementError(message, filename, source, at, notes)


# Builtin shaped types, as MLIR's type parser reads them (parseTensorType, parseVectorType,
# parseMemRefType, parseDimensionListRanked, parseXInDimensionList): a dimension list of
# `?`/integers each followed by an `x` (a `0x..` token is the dimension 0 and the lexer restarts
# at its `x`; `1e5` is `1` and the identifier `e5`), an element type, then `>` (tensor: or `,`
# and an encoding; memref: `,` and a layout). The fast pattern accepts the common spellings
# outright; others are scanned and rejected only where MLIR's rule is plain (vector: scalable
# `[4]` dims and anything unusual are left alone).
_ELEMENT = r"(?:[su]?i\d+|[bt]?f\d+|index)"
# Every vector, and every tensor/memref whose body is not a common spelling (one C-level pass
# instead of a Python-level check per shaped type).
# (The "not after a name character" test is made on each match, not by a look-behind: a
# pattern that starts with its letters is searched much faster.)
_SHAPED_SCAN_RES = tuple(re.compile(p) for p in (
    r"(vector)<", *(rf"({kind})<(?!(?:(?:\d+|\?)x)*{_ELEMENT}(?:>|, ?#))"
                    for kind in ("tensor", "memref"))))  # one literal prefix each: fast
_SHAPED_NOT_AFTER = frozenset("!#@%$.-_0123456789abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SKIP_RE = re.compile(r"(?:[ \t\r\n\x00]+|//[^\n\r]*)*")
_IDENT_RE = re.compile(r"[A-Za-z_][\w$.]*")
_DIALECT_TYPE_RE = re.compile(r"![A-Za-z_$.\-][\w$.\-]*")
_TYPE_WORD_RE = re.compile(r"(?:[su]?i\d+|index|none|[bt]?f\d\w*)\Z")
_NESTED_TYPES = frozenset(("tensor", "vector", "memref", "complex", "tuple"))
_CLOSE_MESSAGE = {"tensor": "expected '>' in tensor type", "vector": "expected '>' in vector type",
                  "memref": "expected ',' or '>' in memref type"}


def _skip(source: str, i: int) -> int:
    m = _SKIP_RE.match(source, i)
    return m.end() if m else i


def _angle_end(source: str, i: int) -> int | None:
    """Index past the `<...>` group opening at `i` (strings skipped), None if unbalanced."""
    depth = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c == '"':
            j = source.find('"', i + 1)
            while j > 0 and source[j - 1] == "\\":
                j = source.find('"', j + 1)
            if j < 0:
                return None
            i = j
        elif c == "<":
            depth += 1
        elif c == ">" and source[i - 1] != "-":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _shaped_error(source: str, start: int, kind: str, i: int) -> tuple[int, str] | None:
    """MLIR's first error in the shaped type `kind<` at `start` (`i`: just past `<`), or None
    where the type is valid or not one this scan decides."""
    dims: list[int] = []
    i = _skip(source, i)
    if source.startswith("*", i):
        if kind == "vector":
            return None
        i = _skip(source, i + 1)
        if not source.startswith("x", i):
            return wrong_token_offset(source, i), "expected 'x' in dimension list"
        i += 1
    else:
        while True:
            c = source[i:i + 1]
            if c == "?" and kind != "vector":
                i += 1
            elif c.isdigit():
                j = i + 1
                if c == "0" and source[j:j + 1] == "x" and source[j + 1:j + 2] in _HEX:
                    dims.append(0)  # `0x4`: the dimension 0, then the lexer restarts at `x`
                    i = j
                else:
                    while source[j:j + 1].isdigit():
                        j += 1
                    if source[j:j + 1] == ".":  # a float literal
                        return wrong_token_offset(source, i), "expected non-function type"
                    dims.append(int(source[i:j]) if j - i < 20 else 1 << 64)
                    i = _skip(source, j)
            elif c == "[":
                return None  # a scalable vector dimension
            else:
                break
            if not source.startswith("x", i):
                return wrong_token_offset(source, i), "expected 'x' in dimension list"
            i = _skip(source, i + 1)
    # The element type.
    if source.startswith("!", i):
        m = _DIALECT_TYPE_RE.match(source, i)
        if m is None:
            return None
        i = m.end()
        if source.startswith("<", i):
            end = _angle_end(source, i)
            if end is None:
                return None
            i = end
    else:
        m = _IDENT_RE.match(source, i)
        if m is None:
            return (wrong_token_offset(source, i), "expected non-function type") \
                if source[i:i + 1] in _NOT_A_TYPE else None
        word = m.group()
        if word in ("tensor", "memref") and kind == "tensor":
            return i, "invalid tensor element type"
        if word in _NESTED_TYPES and source.startswith("<", m.end()):
            end = _angle_end(source, m.end())
            if end is None:
                return None
            i = end
        elif _TYPE_WORD_RE.match(word):
            i = m.end()
        else:
            return wrong_token_offset(source, i), "expected non-function type"
    if kind == "vector" and 0 in dims:
        return start, ("vector types must have positive constant sizes but got "
                       + ", ".join(map(str, dims)))
    i = _skip(source, i)
    c = source[i:i + 1]
    if c == ">":
        return None
    if c == "," and kind == "tensor":
        j = _skip(source, i + 1)
        return (wrong_token_offset(source, j), _CLOSE_MESSAGE[kind]) \
            if source[j:j + 1] in _NOT_AN_ATTRIBUTE else None
    if c == "," and kind == "memref":
        return None
    return wrong_token_offset(source, i), _CLOSE_MESSAGE[kind]


def wrong_token_offset(source: str, i: int) -> int:
    """Where MLIR's `emitWrongTokenError` reports a token at `i`: just after the previous
    non-blank character when only spaces and tabs stand between them on the line."""
    j = i
    while j > 0 and source[j - 1] in " \t":
        j -= 1
    return i if j == 0 or source[j - 1] in "\n\r" else j


_HEX = frozenset("0123456789abcdefABCDEF")
_NOT_A_TYPE = frozenset("0123456789-+?.>,=*")
_NOT_AN_ATTRIBUTE = frozenset("=,)]}:")
