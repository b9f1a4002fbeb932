"""Seeded mutations of MLIR text: small damage of every kind, for robustness and oracle tests.

`mutate(text, seed, kind)` returns a `Mutant`: the mutated text (or bytes, for the encoding
class), its class and a note saying what changed. Classes (`KINDS`):

* `char`: a character deleted, duplicated or replaced (by MLIR punctuation, a letter, a digit,
  a non-ASCII character);
* `token`: a token deleted, duplicated, swapped with its neighbour or replaced by another;
* `line`: a line deleted, duplicated, swapped with the next or moved;
* `results`: result counts changed (`%x:2 = ...`, one name added to or removed from a result
  list, `%x#5` uses);
* `type`: a type replaced by another type of the module, a shape dimension changed, an element
  type changed;
* `symbol`: a symbol defined twice, or a reference renamed to an undefined symbol;
* `nesting`: deep nesting (brackets in an attribute value, nested types, nested regions),
  balanced or not;
* `huge_count`: huge or malformed result counts (`%x:1e999`, `%x:9223372036854775808`,
  `%x:10000000 = arith.constant ...`, `%x:0xff...`);
* `huge_number`: huge numbers inside attributes and shapes, huge result indices (`%x#1e999`);
* `line_ends`: CR-only or CR-LF line ends;
* `one_line`: the whole module on one line (comments dropped, or kept: they then swallow the
  rest of the line);
* `truncate`: the text cut at a random point;
* `encoding`: bytes that are not UTF-8 text (invalid sequences, NUL), as `Mutant.data`.

Determinism: all choices come from one `random.Random(seed)`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from placement.testing.reflow import one_line, pieces

KINDS: tuple[str, ...] = ("char", "token", "line", "results", "type", "symbol", "nesting",
                          "huge_count", "huge_number", "line_ends", "one_line", "truncate",
                          "encoding")


@dataclass(frozen=True)
class Mutant:
    """One mutated input: class, seed, what changed, and the text (or raw bytes)."""

    kind: str
    seed: int
    note: str
    text: str | None  # None only for `encoding` mutants that are not UTF-8
    data: bytes
    offset: int | None = None  # `encoding`: where the bytes were inserted

    def __repr__(self) -> str:
        return f"mutate(text, {self.seed}, {self.kind!r})  # {self.note}"


_PUNCT = list("{}()[]<>,:=%@^#!\"\n-.*?") + ["->", "::", "//", "<{", "}>"]
_OTHER = ["a", "x", "0", "9", " ", "\t", "\u00e9", "\u03bb", "\u2028", "\ufeff", "\\", "$", "'"]
_HUGE = ["9223372036854775808", "18446744073709551616", "1e999", "-1e999",
         "99999999999999999999999999999999999999", "10000000", "0x" + "f" * 40]


def _char(text: str, rng: random.Random) -> tuple[str, str]:
    i = rng.randrange(len(text))
    op = rng.choice(("delete", "duplicate", "replace", "insert"))
    new = rng.choice(_PUNCT + _OTHER)
    if op == "delete":
        return text[:i] + text[i + 1:], f"delete {text[i]!r} at {i}"
    if op == "duplicate":
        return text[:i] + text[i] + text[i:], f"duplicate {text[i]!r} at {i}"
    if op == "replace":
        return text[:i] + new + text[i + 1:], f"replace {text[i]!r} at {i} by {new!r}"
    return text[:i] + new + text[i:], f"insert {new!r} at {i}"


def _code_pieces(text: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of the non-comment tokens of `text`."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    toks, _ = pieces(text)
    for tok in toks:
        pos += len(tok.gap)
        if tok.kind != "comment":
            out.append((pos, pos + len(tok.text), tok.text))
        pos += len(tok.text)
    return out


def _token(text: str, rng: random.Random) -> tuple[str, str]:
    toks = _code_pieces(text)
    k = rng.randrange(len(toks))
    s, e, t = toks[k]
    op = rng.choice(("delete", "duplicate", "swap", "replace"))
    if op == "delete":
        return text[:s] + text[e:], f"delete token {t!r} at {s}"
    if op == "duplicate":
        return text[:e] + " " + t + text[e:], f"duplicate token {t!r} at {s}"
    if op == "swap" and k + 1 < len(toks):
        s2, e2, t2 = toks[k + 1]
        return (text[:s] + t2 + text[e:s2] + t + text[e2:],
                f"swap tokens {t!r} and {t2!r} at {s}")
    other = rng.choice(toks)[2]
    return text[:s] + other + text[e:], f"replace token {t!r} at {s} by {other!r}"


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _line(text: str, rng: random.Random) -> tuple[str, str]:
    lines = _lines(text)
    code = [i for i, x in enumerate(lines) if x.strip() and not x.strip().startswith("//")]
    i = rng.choice(code or [0])
    op = rng.choice(("delete", "duplicate", "swap", "move"))
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "swap" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    else:
        line = lines.pop(i)
        lines.insert(rng.randrange(len(lines) + 1), line)
    return "\n".join(lines), f"{op} line {i + 1}"


_RESULT_RE = re.compile(r"^(\s*)(%[\w$.\-]+)((?::\d+)?)((?:\s*,\s*%[\w$.\-]+(?::\d+)?)*)\s*=",
                        re.MULTILINE)
_USE_RE = re.compile(r"(?<![\w$.\-])(%[\w$.\-]+)(?![\w$.\-#:])")


def _choose(pattern: re.Pattern[str], text: str, rng: random.Random) -> re.Match[str] | None:
    """A random match of `pattern` in `text` (None if there is none)."""
    found = list(pattern.finditer(text))
    return rng.choice(found) if found else None


def _results(text: str, rng: random.Random) -> tuple[str, str]:
    m = _choose(_RESULT_RE, text, rng)
    if m is None:
        return _token(text, rng)
    op = rng.choice(("count", "add", "remove", "index"))
    if op == "count":
        n = rng.choice(("0", "1", "2", "3", "5"))
        return (text[:m.start(2)] + m.group(2) + ":" + n + text[m.end(3):],
                f"result count :{n} on {m.group(2)}")
    if op == "add":
        return (text[:m.end(2)] + ", %extra_result" + text[m.end(2):],
                f"extra result name after {m.group(2)}")
    if op == "remove" and m.group(4):
        return text[:m.end(3)] + text[m.end(4):], f"drop the other results after {m.group(2)}"
    uses = [u for u in _USE_RE.finditer(text) if u.start() > m.end()]
    if not uses:
        return text[:m.end(2)] + ":2" + text[m.end(3):], f"result count :2 on {m.group(2)}"
    u = rng.choice(uses)
    k = rng.choice(("1", "2", "7"))
    return text[:u.end()] + "#" + k + text[u.end():], f"use {u.group(1)}#{k}"


_TYPE_RE = re.compile(r"tensor<[^<>]*>|!stream\.resource<[^<>]*>|"
                      r"\b(?:i1|i8|i32|i64|f16|f32|index)\b")
_DIM_RE = re.compile(r"(?<=[<x])(\d+)(?=x)")


def _type(text: str, rng: random.Random) -> tuple[str, str]:
    m = _choose(_TYPE_RE, text, rng)
    if m is None:
        return _token(text, rng)
    old = m.group()
    op = rng.choice(("other", "dim", "element"))
    if op == "dim" and _DIM_RE.search(old):
        new = _DIM_RE.sub(lambda d: str(int(d.group()) + 1), old, count=1)
    elif op == "element" and "tensor<" in old:
        new = re.sub(r"x(\w+)>$", lambda e: "x" + ("f32" if e.group(1) != "f32" else "i8") + ">",
                     old)
    else:
        new = rng.choice(list(_TYPE_RE.finditer(text))).group()
    return text[:m.start()] + new + text[m.end():], f"type {old} at {m.start()} -> {new}"


_SYMBOL_DEF_RE = re.compile(r"^\s*(?:util\.global|util\.func|func\.func|flow\.executable|"
                            r"stream\.executable|hal\.executable)\b[^@\n]*(@[\w$.\-]+)",
                            re.MULTILINE)
_SYMBOL_REF_RE = re.compile(r"@[\w$.\-]+")


def _symbol(text: str, rng: random.Random) -> tuple[str, str]:
    defs = list(_SYMBOL_DEF_RE.finditer(text))
    if defs and rng.random() < 0.5:
        m = rng.choice(defs)
        line_start = text.rfind("\n", 0, m.start(1)) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start:line_end if line_end >= 0 else len(text)]
        if line.rstrip().endswith("{"):  # a function: copy it up to its closing brace line
            indent = line[: len(line) - len(line.lstrip())]
            close = re.compile(r"^" + re.escape(indent) + r"}", re.MULTILINE)
            c = close.search(text, line_end)
            block = text[line_start:c.end()] if c else line
        else:
            block = line
        return (text[:line_start] + block + "\n" + text[line_start:],
                f"define {m.group(1)} twice")
    refs = list(_SYMBOL_REF_RE.finditer(text))
    if not refs:
        return _line(text, rng)
    r = rng.choice(refs)
    return (text[:r.start()] + r.group() + "_undefined" + text[r.end():],
            f"rename reference {r.group()} at {r.start()}")


def _nesting(text: str, rng: random.Random) -> tuple[str, str]:
    depth = rng.choice((64, 500, 3000, 20000))
    balanced = rng.random() < 0.7
    lines = _lines(text)
    ops = [i for i, x in enumerate(lines) if re.match(r"\s*(?:%[\w$.\-]+ = )?[a-z_]+\.[\w.]+", x)
           and not x.rstrip().endswith("{")]
    if not ops:
        return _char(text, rng)
    i = rng.choice(ops)
    how = rng.choice(("array", "type", "region", "parens"))
    if how == "array":
        body = "[" * depth + "1" + ("]" * depth if balanced else "")
        lines.insert(i, f"  util.optimization_barrier {{deep = {body}}}")
    elif how == "type":
        body = "tuple<" * depth + "i32" + (">" * depth if balanced else "")
        lines.insert(0, f"util.func private @deep_nesting(%a: {body})")
        i = 0
    elif how == "region":
        opener = "scf.execute_region {\n" * min(depth, 3000)
        closer = "scf.yield\n}\n" * (min(depth, 3000) if balanced else 1)
        lines.insert(i, opener + closer)
    else:
        body = "(" * depth + ("" if not balanced else ")" * depth)
        lines.insert(i, f"  util.call @f{body}")
    shape = "balanced" if balanced else "open"
    return "\n".join(lines), f"{how} nesting depth {depth} ({shape}) before line {i + 1}"


def _huge_count(text: str, rng: random.Random) -> tuple[str, str]:
    huge = rng.choice(_HUGE)
    m = _choose(_RESULT_RE, text, rng)
    if m is None:
        return _huge_number(text, rng)
    return (text[:m.start(2)] + m.group(2) + ":" + huge + text[m.end(3):],
            f"result count {m.group(2)}:{huge}")


def _huge_number(text: str, rng: random.Random) -> tuple[str, str]:
    huge = rng.choice(_HUGE)
    how = rng.choice(("attribute", "dim", "index", "any_number"))
    if how == "attribute":
        m = re.search(r"\{([\w.]+ = )", text[rng.randrange(len(text)):])
        if m:
            return (text.replace(m.group(), "{huge_attr = " + huge + " : i64, " + m.group(1), 1),
                    f"attribute value {huge}")
    if how == "dim":
        dims = list(_DIM_RE.finditer(text))
        if dims:
            d = rng.choice(dims)
            return text[:d.start()] + huge + text[d.end():], f"shape dimension {huge}"
    if how == "index":
        uses = list(_USE_RE.finditer(text))
        if uses:
            u = rng.choice(uses)
            return text[:u.end()] + "#" + huge + text[u.end():], f"use {u.group(1)}#{huge}"
    nums = list(re.finditer(r"(?<![\w.%@#^!$-])\d+(?![\w.])", text))
    if not nums:
        return _char(text, rng)
    n = rng.choice(nums)
    return text[:n.start()] + huge + text[n.end():], f"number {n.group()} -> {huge}"


def _line_ends(text: str, rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.6:
        return text.replace("\n", "\r"), "CR-only line ends"
    return text.replace("\n", "\r\n"), "CR-LF line ends"


def _one_line(text: str, rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.6:
        return one_line(text), "one line, comments dropped"
    return text.replace("\n", " "), "one line, comments kept"


def _truncate(text: str, rng: random.Random) -> tuple[str, str]:
    i = rng.randrange(len(text))
    return text[:i], f"truncated at {i}"


_MUTATORS: dict[str, Callable[[str, random.Random], tuple[str, str]]] = {
    "char": _char, "token": _token, "line": _line, "results": _results, "type": _type,
    "symbol": _symbol, "nesting": _nesting, "huge_count": _huge_count,
    "huge_number": _huge_number, "line_ends": _line_ends,
    "one_line": _one_line, "truncate": _truncate,
}

_BAD_BYTES = (b"\xff", b"\xc3", b"\xe2\x82", b"\x00", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80")


def mutate(text: str, seed: int, kind: str) -> Mutant:
    """One mutant of `text` of class `kind` (see `KINDS`), chosen by `seed`."""
    rng = random.Random(f"{kind}:{seed}")
    if not text:
        text = "\n"
    if kind == "encoding":
        data = text.encode()
        i = rng.randrange(len(data) + 1)
        bad = rng.choice(_BAD_BYTES)
        data = data[:i] + bad + data[i:]
        try:
            decoded: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            decoded = None
        return Mutant(kind, seed, f"insert bytes {bad!r} at byte {i}", decoded, data, i)
    mutated, note = _MUTATORS[kind](text, rng)
    return Mutant(kind, seed, note, mutated, mutated.encode("utf-8", "surrogatepass"))


def mutant_set(inputs: list[tuple[str, str]], count: int,
               kinds: tuple[str, ...] = KINDS) -> list[tuple[str, Mutant]]:
    """`count` mutants of named inputs: mutant i is of class i mod len(kinds), over input
    (i // len(kinds)) mod len(inputs), with seed i; (input name, mutant) pairs."""
    out: list[tuple[str, Mutant]] = []
    for i in range(count):
        name, text = inputs[(i // len(kinds)) % len(inputs)]
        out.append((name, mutate(text, i, kinds[i % len(kinds)])))
    return out
