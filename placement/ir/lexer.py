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
  | (?P<punct>->|::|=>|>=|<=|==|\.\.\.|[(){}\[\]<>,=:*?+\-/|&~;!.])
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
