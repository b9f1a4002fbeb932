"""Tokenizer for MLIR's textual IR.

One compiled regular expression splits the text into tokens; token kinds are short strings.
A name followed by a flat angle group (`tensor<4x?xf32>`, `#hal.device.promise<@d>`) is one
token, which keeps the token count (and the parse time) down; nested or bracketed groups
(`dense<[1, 2]>`, `affine_map<(d0) -> (d0)>`) are tokenized piece by piece.
Newlines are whitespace (MLIR is whitespace-insensitive; no NL tokens are produced). A dotted
name (`hal.element_type<f32>`: an op name) never takes the angle group with it.
Comments are dropped from the token stream but their spans are kept (the printer removes them,
as `iree-opt` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from placement.diagnostics import PlacementError

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
  | (?P<hash>\#[A-Za-z_$.\-][\w$.\-]*(?:<[^<>"\n(){}\[\]%]*>)?)
  | (?P<bang>![A-Za-z_$.\-][\w$.\-]*(?:<[^<>"\n(){}\[\]%]*>)?)
  | (?P<number>0x[0-9A-Fa-f]+|\d+(?:\.\d*(?:[eE][+-]?\d+)?)?)
  | (?P<bare>[A-Za-z_][\w$]*\.[\w$.]*|[A-Za-z_][\w$]*(?:<[^<>"\n(){}\[\]%]*>)?)
  | (?P<punct>->|::|>=|<=|==|\.\.\.|[(){}\[\]<>,=:*?+\-/|&~;!.])
  | (?P<bad>.)
    """
)
_ANGLE = r'(?:<[^<>"\n(){}\[\]%]*>)?'
_TOKEN_RE = re.compile(_TOKEN_PATTERN, re.VERBOSE)
_SPLIT_TOKEN_RE = re.compile(_TOKEN_PATTERN.replace(_ANGLE, ""), re.VERBOSE)


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
    if _NEEDS_NORM_RE.search(text) is None:
        return text
    out = _norm_cache.get(text)
    if out is None:
        out = _norm_cache[text] = _normalize(text)
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


def tokenize(source: str, filename: str, split_angles: bool = False) -> Tokens:
    """Split `source` into tokens; raise a located PlacementError on a character MLIR rejects.

    With `split_angles`, flat angle groups are tokenized piece by piece too (`tensor`, `<`, ...).
    """
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
            raise PlacementError(f"unexpected character {text!r}", filename, source, start)
        kinds.append(kind)  # type: ignore[arg-type]
        texts.append(text)
        starts.append(start)
    kinds.append(EOF)
    texts.append("")
    starts.append(len(source))
    return toks
