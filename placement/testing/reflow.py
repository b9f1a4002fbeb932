"""Seeded re-layout of MLIR text: the same module with other line breaks, spaces and comments.

MLIR's lexer treats every run of whitespace (newlines included) alike and skips `//` comments,
so a module means the same whatever its layout, as long as no token is cut and no space is put
where the grammar wants adjacency. `reflow(text, seed)` changes only the gaps between tokens:

* a gap that holds whitespace may become any whitespace: one space, several spaces or tabs, a
  line break with any indentation, or a line break, a comment line and a line break (several
  ops joined on one line, an op spread over several lines, comments between its pieces);
* a gap without whitespace gets some only next to punctuation where MLIR's lexer splits tokens
  anyway (`(`, `[`, `{`, `<`, `,`, `:`, `::`, `=`, `->` and the closers), before `<` only after
  a builtin keyword (`tensor <4xi32>`, `dense <1>`: a dialect attribute or type
  `#a.b<...>`/`!a.b<...>` needs its `<` immediately after the name), never inside `>=`, `<=`,
  `==` and never inside a word (`%x#1`, `4x?xf32`, `1.0e+00`, `fp64|fp32`);
* comments are never put inside `<...>` (a dialect attribute body is scanned raw: a `>` in a
  comment there ends the body), and the gap after an existing `//` comment always keeps a
  line break;
* strings and the tokens themselves are never changed.

Every rule was checked with `iree-opt` on the goldens and the corpus
(`tests/test_layout_property.py` re-checks every re-flow it uses whenever iree-opt is
installed). Determinism: all choices come from one `random.Random(seed)`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<symbol>@"(?:[^"\\\n]|\\.)*")
  | (?P<punct>->|::|>=|<=|==|[(){}\[\]<>,=:])
  | (?P<word>(?:[^\s(){}\[\]<>,=:"/\-]|-(?!>)|/(?!/))+)
  | (?P<other>.)
    """,
    re.VERBOSE,
)

# Next to these tokens a space may be added where the source has none.
_SPLIT_AFTER = frozenset({"<", "(", "[", "{", ",", ":", "=", "->"})
_SPLIT_BEFORE = frozenset({">", ")", "]", "}", ",", ":", "=", "->", "{"})
_NEVER_SPLIT = frozenset({">=", "<=", "=="})
_OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}

_COMMENTS = (
    "// reflowed",
    "// an op } { ) ( ] [ > < , = : -> %x @f ^bb0 \" ' #a !b",
    "//",
    "// -> %0 = flow.tensor.constant dense<1> : tensor<4xi32>",
    "//// util.return",
)


@dataclass(frozen=True)
class Piece:
    """One token of the source and the whitespace that precedes it."""

    gap: str
    text: str
    kind: str


def pieces(source: str) -> tuple[list[Piece], str]:
    """The tokens of `source` with their leading gaps, and the trailing whitespace."""
    out: list[Piece] = []
    gap = ""
    for m in _TOKEN_RE.finditer(source):
        kind = m.lastgroup or "other"
        if kind == "ws":
            gap += m.group()
            continue
        out.append(Piece(gap, m.group(), kind))
        gap = ""
    return out, gap


def _may_split(left: Piece, right: Piece) -> bool:
    """Whether whitespace may stand between two adjacent tokens that the source writes apart
    without any (always true when the source has whitespace there)."""
    if left.text in _NEVER_SPLIT or right.text in _NEVER_SPLIT:
        return False
    if right.text == "<":
        return left.kind == "word" and left.text[0] not in "#!"
    if left.text == "::" or right.text == "::":
        return True
    if left.kind == "punct" and left.text in _SPLIT_AFTER and left.text != "{":
        return True
    if left.text == "{" and right.text != "}":
        return True
    return right.kind == "punct" and right.text in _SPLIT_BEFORE and left.text != "<"


KINDS = ("space", "break", "join", "comment")


def _gap(rng: random.Random, old: str, indent: str, kinds: frozenset[str], comments: bool,
         after_comment: bool) -> str:
    """A random whitespace gap replacing `old` (which may be empty), of the allowed kinds.

    "space": spaces and tabs where the line is not broken; "break": a line break where there
    was none; "join": spaces where there was a line break; "comment": a comment line in a
    (new or old) line break. A gap after a `//` comment always keeps a line break.
    """
    broken = "\n" in old or after_comment
    choices: list[str] = []
    if broken:
        if "join" in kinds and not after_comment:
            choices.append(rng.choice((" ", "  ", "\t")))
        if "comment" in kinds and comments:
            choices.append("\n" + indent + rng.choice(_COMMENTS) + "\n" + indent)
        if "break" in kinds or "space" in kinds:
            choices.append(rng.choice(("\n", "\n\n")) + indent + rng.choice(("", "  ", "\t")))
    else:
        if "space" in kinds:
            choices.append(rng.choice((" ", "  ", "\t", " \t  ", "        ")))
        if "break" in kinds:
            choices.append("\n" + indent + rng.choice(("", "  ", "      ", "\t")))
        if "break" in kinds and "comment" in kinds and comments:
            choices.append("\n" + indent + rng.choice(_COMMENTS) + "\n" + indent)
    return rng.choice(choices) if choices else old


def reflow(source: str, seed: int, kinds: frozenset[str] | set[str] = frozenset(KINDS),
           rate: float | None = None) -> str:
    """`source` re-laid out at random (same tokens, same meaning for MLIR).

    `kinds` are the changes allowed (see `_gap`); `rate` is the probability that a gap changes
    (drawn from the seed when None).
    """
    rng = random.Random(seed)
    kinds = frozenset(kinds)
    if rate is None:
        rate = rng.choice((0.1, 0.3, 0.6, 1.0))
    toks, tail = pieces(source)
    out: list[str] = []
    stack: list[str] = []
    prev: Piece | None = None
    for tok in toks:
        gap = tok.gap
        if prev is not None and rng.random() < rate and (gap or _may_split(prev, tok)):
            gap = _gap(rng, gap, "  " * min(len(stack), 4), kinds, "<" not in stack,
                       prev.kind == "comment")
        elif prev is None and "comment" in kinds and rng.random() < rate:
            gap = gap + rng.choice(_COMMENTS) + "\n"
        out.append(gap)
        out.append(tok.text)
        if tok.kind == "punct":
            if tok.text in _OPEN:
                stack.append(tok.text)
            elif stack and tok.text == _OPEN[stack[-1]]:
                stack.pop()
        prev = tok
    if prev is not None and prev.kind == "comment" and "\n" not in tail:
        tail = "\n" + tail
    out.append(tail)
    return "".join(out)


def one_line(source: str) -> str:
    """`source` without comments on a single line (every gap one space where it had any)."""
    toks, _ = pieces(source)
    out: list[str] = []
    for tok in toks:
        if tok.kind == "comment":
            continue
        if out and tok.gap:
            out.append(" ")
        out.append(tok.text)
    return "".join(out) + "\n"
