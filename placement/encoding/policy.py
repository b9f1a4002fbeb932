"""Choosing unified encodings: IREE's rule (spec 7, as IREE 3.13 runs it) and the candidate
sets the optimizer picks from (spec 12.3, per shape group).

A choice is a `Candidate`: the structured encoding plus the text to print for it (the alias a
version already uses, such as `#encoding1`, or the attribute itself, such as
`#iree_encoding.specialized<123>`).
"""

from __future__ import annotations

from dataclasses import dataclass

from placement.encoding.analysis import Analysis, Source, Version
from placement.encoding.resolvers import (
    CPU_RESOLVER,
    GPU_RESOLVER,
    ResolverElem,
    unified_encoding,
)
from placement.encoding.sizes import IDENTITY, fits
from placement.ir.attributes import Array, DialectAttr, Integer, Value

CONTRACTION = "iree_encoding.encoding"  # a data-tiling encoding (op_type, iteration_sizes)


@dataclass(frozen=True)
class Candidate:
    """One possible unified encoding."""

    value: Value
    text: str
    origin: str  # "iree", "identity", "version", "resolver"

    @property
    def is_identity(self) -> bool:
        return self.value == IDENTITY


def text_of(value: Value, versions: list[Version]) -> str:
    """How to print an encoding: the spelling of the first version that has it, else inline."""
    for v in versions:
        if v.encoding == value:
            return v.encoding_text
    return str(value)


def iree_choice(source: Source) -> Candidate:
    """The unified encoding IREE 3.13 picks for a candidate source (spec 7, GPU rule of 13.5)."""
    encodings = [v.encoding for v in source.versions]
    resolvers = source.resolvers
    value: Value | None = None
    if len(resolvers) == 1 and resolvers[0].resolver is not None:
        value = unified_encoding(resolvers[0].resolver, encodings)
    if value is None:
        value = IDENTITY
    return Candidate(value, text_of(value, source.versions), "iree")


def iree_assignment(analysis: Analysis) -> dict[Version, Candidate]:
    """IREE's choice for every version of every candidate source."""
    out: dict[Version, Candidate] = {}
    for source in analysis.candidates:
        choice = iree_choice(source)
        for v in source.versions:
            out[v] = choice
    return out


def proposal(r: ResolverElem, versions: list[Version]) -> Value | None:
    """What resolver r proposes for the versions it alone serves (None: nothing)."""
    if r.resolver is None:
        return None
    mine = [u.encoding for u in versions if u.resolvers == [r]]
    if not mine:
        return None
    return unified_encoding(r.resolver, mine)


def compatible(k: Value, v: Version, source: Source, group: list[Version]) -> bool:
    """Spec 12.3: can version v's targets materialize encoding k? (Proposals are taken over
    the versions a resolver alone serves, so a GPU resolver never vouches for an encoding made
    for another target.)"""
    if k == IDENTITY or not v.resolvers:
        return True
    if len(v.resolvers) != 1 or v.resolvers[0].resolver is None:
        return False
    r = v.resolvers[0]
    if k in (proposal(r, source.versions), proposal(r, group)):
        return True
    return any(u.encoding == k and u.resolvers == [r] for u in source.versions)


def _resolver_names(v: Version) -> set[str]:
    return {r.resolver.name for r in v.resolvers if r.resolver is not None}


def _is_contraction(value: Value) -> bool:
    return isinstance(value, DialectAttr) and value.name == CONTRACTION


def compile_rule(k: Value, v: Version) -> str:
    """Why the real compiler rejects encoding k on version v ("" when no known rule applies).

    Found by experiment with the end-to-end check (IREE 3.13; docs/unify.md, "What compiles"):
    * llvm-cpu: a data-tiled contraction that must read its weight in the identity layout
      fails ("large vector sizes", or the 32 KiB stack limit on int8);
    * GPU (`gpu_encoding_resolver`): a weight layout made for one contraction overflows shared
      memory at a contraction of another size (quant_i8 on gfx942: 114,688 B of 65,536);
      identity compiles there.
    """
    if not v.sites or not _is_contraction(v.encoding):
        return ""
    names = _resolver_names(v)
    if CPU_RESOLVER in names and k == IDENTITY:
        return "llvm-cpu cannot compile a data-tiled contraction that reads an identity layout"
    if GPU_RESOLVER in names and _is_contraction(k) and k != v.encoding:
        return "on GPU, a layout made for another contraction can overflow shared memory here"
    return ""


def feasible(k: Value, group: list[Version], source: Source) -> tuple[bool, str]:
    """Whether k may be the unified encoding of a shape group, and why not."""
    if not any(v.resolvers for v in group) and k != IDENTITY:
        return False, "no resolver known for these versions: only identity is safe"
    for v in group:
        ok, why = fits(v.type, k)
        if not ok:
            return False, f"{v.global_name}: {why}"
        if not compatible(k, v, source, group):
            return False, f"{v.global_name}: its targets do not materialize this encoding"
        rule = compile_rule(k, v)
        if rule:
            return False, f"{v.global_name}: {rule}"
    return True, ""


def contraction_size(value: Value) -> int:
    """The product of an encoding's static iteration sizes (dynamic ones count as 2**31);
    0 when it has none."""
    if not isinstance(value, DialectAttr):
        return 0
    sizes = value.param("iteration_sizes")
    if not isinstance(sizes, Array):
        return 0
    product = 1
    for item in sizes.items:
        n = item.value if isinstance(item, Integer) else None
        product *= n if isinstance(n, int) and n >= 0 else 2 ** 31
    return product


def preference(c: Candidate, group: list[Version], iree: Value) -> tuple[int, int, str]:
    """The tie-break key among candidates of equal cost (smaller wins), never their position:
    IREE's own choice (it passed every feasibility rule; spec 12.7), then an encoding a
    version of the group already has (the input shows it compiles at that version's sites),
    the one made for the largest contraction first (the general layout; narrow ones are the
    special case), then identity, then the rest; last, the encoding's text."""
    if c.value == iree:
        cls = 0
    elif any(v.encoding == c.value for v in group):
        cls = 1
    elif c.is_identity:
        cls = 2
    else:
        cls = 3
    return cls, -contraction_size(c.value), str(c.value)


def candidates(source: Source, group: list[Version]) -> list[Candidate]:
    """`K_g` in rank order: IREE's choice, identity, versions' encodings, resolver proposals."""
    out: list[Candidate] = []

    def add(value: Value | None, origin: str) -> None:
        if value is not None and all(c.value != value for c in out):
            out.append(Candidate(value, text_of(value, source.versions), origin))

    add(iree_choice(source).value, "iree")
    add(IDENTITY, "identity")
    for v in source.versions:
        add(v.encoding, "version")
    for r in source.resolvers:
        add(proposal(r, source.versions), "resolver")
        add(proposal(r, group), "resolver")
    return out
