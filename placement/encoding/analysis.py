"""Finding the sources to unify: encoded versions, source keys, resolvers and consumers.

Follows spec sections 4-6 and 8.2 with IREE 3.13's source key (section 13.1): the named
parameter `scope::key` when the trace back from an encode reaches a `stream.tensor.constant`
of `#stream.parameter.named<...>`, else the farthest-upstream immutable global (`@name`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from placement import ops as optable
from placement.encoding.resolvers import ResolverElem, ResolverLookup
from placement.encoding.syntax import GlobalDecl, OpText, TypeEntry, global_decl
from placement.ir.attributes import (
    AttributeParser,
    DialectAttr,
    DialectType,
    Scoped,
    ShapedType,
    String,
    Typed,
    Value,
    strip_type,
)
from placement.ir.core import BlockArgument, Module, Operation, OpResult
from placement.ir.core import Value as SSAValue
from placement.ir.explorer import Explorer

# Encodings the pass recognizes as serializable (spec 4, rule 1).
RECOGNIZED = {"iree_encoding.testing", "iree_encoding.specialized", "iree_encoding.identity",
              "iree_encoding.padding", "iree_encoding.layout", "iree_encoding.encoding"}


@dataclass(eq=False)
class Site:
    """A consumer of an encoded global: operand `index` (mixed-operand index) of a dispatch."""

    dispatch: Operation
    index: int
    entry: TypeEntry
    in_initializer: bool
    function: str
    tied_result: bool = False  # a dispatch result is tied to this operand (spec 8.4)

    @property
    def label(self) -> str:
        return f"{self.function}: {self.dispatch.symbols[0] if self.dispatch.symbols else '?'}" \
               f" operand {self.index}"


@dataclass(eq=False)
class Version:
    """One encoded copy of a source: (encoded global, encoding, encode op, sizeof op)."""

    index: int
    encode: Operation
    sizeof: Operation
    global_name: str
    type: ShapedType  # the encode's result type (with its encoding)
    encoding: Value
    encoding_text: str  # as written in the source (`#encoding1`)
    result_entry: TypeEntry
    sizeof_entry: TypeEntry
    affinity: str  # the encode op's `on(...)` attribute text, "" when none
    devices: list[str]
    resolvers: list[ResolverElem]
    sites: list[Site] = field(default_factory=list)

    @property
    def shape_key(self) -> str:
        """Shape and element type, as written (versions group by it)."""
        return self.result_entry.shape_text

    @property
    def placement(self) -> str:
        return self.affinity or "(no affinity)"


@dataclass(eq=False)
class Source:
    """A source (parameter or global) and its versions, in discovery order."""

    key: str
    versions: list[Version] = field(default_factory=list)

    @property
    def distinct_encodings(self) -> list[Value]:
        out: list[Value] = []
        for v in self.versions:
            if v.encoding not in out:
                out.append(v.encoding)
        return out

    @property
    def is_candidate(self) -> bool:
        return len(self.distinct_encodings) > 1

    @property
    def resolvers(self) -> list[ResolverElem]:
        out: list[ResolverElem] = []
        for v in self.versions:
            for r in v.resolvers:
                if r not in out:
                    out.append(r)
        return out

    def shape_groups(self) -> dict[str, list[Version]]:
        """Versions grouped by tensor shape/element type, in discovery order."""
        groups: dict[str, list[Version]] = {}
        for v in self.versions:
            groups.setdefault(v.shape_key, []).append(v)
        return groups


@dataclass
class Skipped:
    """An encode op that is not a version, and why."""

    encode: Operation
    reason: str


@dataclass
class Analysis:
    """Everything the policies and the rewrite need about one module."""

    module: Module
    text: OpText
    attrs: AttributeParser
    has_devices: bool
    sources: list[Source]
    skipped: list[Skipped]
    globals: dict[str, GlobalDecl]

    @property
    def candidates(self) -> list[Source]:
        return [s for s in self.sources if s.is_candidate] if self.has_devices else []

    def shared_sizeofs(self) -> dict[int, list[Version]]:
        """Sizeof ops (by id) that size the encodes of more than one version."""
        users: dict[int, list[Version]] = {}
        for s in self.sources:
            for v in s.versions:
                users.setdefault(id(v.sizeof), []).append(v)
        return {k: vs for k, vs in users.items() if len(vs) > 1}


class _Analyzer:
    def __init__(self, module: Module) -> None:
        self.module = module
        self.text = OpText(module)
        self.attrs = AttributeParser(module)
        self.globals: dict[str, GlobalDecl] = {}
        self.stores: dict[str, list[Operation]] = {}
        self.loads: dict[str, list[Operation]] = {}
        self.explorer = Explorer(module)
        for op in module.top_level_ops():
            if optable.info(op).role == optable.Role.GLOBAL:
                decl = global_decl(self.text, op)
                if decl is not None:
                    self.globals[decl.name] = decl
        for op in module.root.walk():
            role = optable.info(op).role
            if role == optable.Role.GLOBAL_STORE and op.symbols:
                self.stores.setdefault(op.symbols[0][1:], []).append(op)
            elif role == optable.Role.GLOBAL_LOAD and op.symbols:
                self.loads.setdefault(op.symbols[0][1:], []).append(op)
        self.devices = {name: d.initial for name, d in self.globals.items()
                        if self._is_device(d)}
        self.lookup = ResolverLookup(self.attrs, self.devices)

    def _is_device(self, decl: GlobalDecl) -> bool:
        if decl.type.strip() == "!hal.device":
            return True
        if not decl.initial:
            return False
        value = self.attrs.try_parse(decl.initial)
        if isinstance(value, Typed) and isinstance(value.type, DialectType):
            return value.type.name == "hal.device"
        return isinstance(value, DialectAttr) and value.name.startswith("hal.device.")

    # ------------------------------------------------------------ versions
    def run(self) -> Analysis:
        sources: dict[str, Source] = {}
        skipped: list[Skipped] = []
        count = 0
        for init in self.module.top_level_ops():
            if not optable.info(init).initializer:
                continue
            for op in init.walk():
                if optable.info(op).encoding != optable.EncodingRole.ENCODE:
                    continue
                result = self._version(op, count)
                if isinstance(result, str):
                    skipped.append(Skipped(op, result))
                    continue
                key, version = result
                sources.setdefault(key, Source(key)).versions.append(version)
                count += 1
        analysis = Analysis(self.module, self.text, self.attrs, bool(self.devices),
                            list(sources.values()), skipped, self.globals)
        for source in analysis.sources:
            for version in source.versions:
                version.sites = self._sites(version)
        return analysis

    def _version(self, op: Operation, index: int) -> tuple[str, Version] | str:
        sig = self.text.signature(op)
        if not sig.results or not sig.results[0].is_tensor:
            return "result is not a tensor type"
        entry = sig.results[0]
        parsed = self.attrs.try_parse(entry.text)
        if parsed is None:
            return f"cannot parse the result type '{entry.text}'"
        rtype = strip_type(parsed)
        if not isinstance(rtype, ShapedType) or rtype.encoding is None:
            return "result type has no encoding"
        enc = rtype.encoding
        if not isinstance(enc, DialectAttr) or enc.name not in RECOGNIZED:
            return f"encoding '{enc}' is not a serializable IREE encoding"
        if not op.results:
            return "encode has no result"
        encoded = self._single_store(op.results[0])
        if encoded is None:
            return "encoded value is not stored to exactly one global (through clones)"
        decl = self.globals.get(encoded)
        if decl is None:
            return f"encoded global '@{encoded}' is not a top-level global"
        if decl.mutable:
            return f"encoded global '@{encoded}' is mutable"
        key = self._trace(op.operands[0]) if op.operands else None
        if key is None:
            return "source does not trace to an immutable global or a named parameter"
        size_name = entry.size[0] if entry.size else ""
        size_value = next((v for v in op.operands if v.name == size_name), None)
        if not isinstance(size_value, OpResult) or \
                optable.info(size_value.owner).encoding != optable.EncodingRole.SIZEOF:
            return "result size is not defined by stream.tensor.sizeof"
        sizeof = size_value.owner
        sizeof_sig = self.text.signature(sizeof)
        if not sizeof_sig.operands:
            return "cannot read the sizeof type"
        enc_text = self.module.source[entry.encoding_span[0]:entry.encoding_span[1]] \
            if entry.encoding_span else ""
        enc_text = enc_text.lstrip(",").strip()
        affinity = op.attr("on") or op.attr("affinity") or ""
        devices = self.lookup.devices_of(affinity)
        resolvers = self.lookup.resolvers(affinity)
        return key, Version(index, op, sizeof, encoded, rtype, enc, enc_text, entry,
                            sizeof_sig.operands[0], affinity, devices, resolvers)

    def _single_store(self, value: SSAValue) -> str | None:
        while True:
            if len(value.uses) != 1:
                return None
            owner = value.uses[0].owner
            if optable.info(owner).role == optable.Role.GLOBAL_STORE and owner.symbols:
                return owner.symbols[0][1:]
            if optable.info(owner).encoding == optable.EncodingRole.CLONE and owner.results:
                value = owner.results[0]
                continue
            return None

    def _trace(self, value: SSAValue) -> str | None:
        """The 3.13 source key of an encode's source operand, or None when tracing fails."""
        found: str | None = None
        for _ in range(10000):
            if isinstance(value, BlockArgument) or not isinstance(value, OpResult):
                return None
            op = value.owner
            role = optable.info(op).role
            if role == optable.Role.GLOBAL_LOAD and op.symbols:
                name = op.symbols[0][1:]
                decl = self.globals.get(name)
                if decl is None or decl.mutable:
                    return None
                found = name
                if decl.initial:
                    return "@" + found
                stores = self.stores.get(name, [])
                if len(stores) != 1 or not stores[0].operands:
                    return None
                value = stores[0].operands[0]
                continue
            if optable.info(op).encoding == optable.EncodingRole.CLONE and op.operands:
                value = op.operands[0]
                continue
            if optable.info(op).encoding == optable.EncodingRole.CONSTANT:
                param = self._parameter_key(op)
                if param is not None:
                    return param
                return "@" + found if found is not None else None
            return None
        return None

    def _parameter_key(self, op: Operation) -> str | None:
        """`scope::key` (or `key`) of a constant of `#stream.parameter.named<...>`."""
        src = self.module.source[op.syntax.start:op.syntax.end]
        at = src.find("#stream.parameter.named")
        if at < 0:
            return None
        end = at
        depth = 0
        while end < len(src):
            c = src[end]
            if c == "<":
                depth += 1
            elif c == ">":
                depth -= 1
                if depth == 0:
                    end += 1
                    break
            end += 1
        value = self.attrs.try_parse(src[at:end])
        if not isinstance(value, DialectAttr):
            return None
        parts = value.positional()
        if not parts:
            return None
        p = parts[0]
        if isinstance(p, Scoped):
            return "::".join(x.value if isinstance(x, String) else str(x) for x in p.parts)
        if isinstance(p, String):
            return p.value
        return None

    # ------------------------------------------------------------ consumers (spec 8.2)
    def _sites(self, version: Version) -> list[Site]:
        start = [load.results[0] for load in self.loads.get(version.global_name, [])
                 if load.results]
        sites: list[Site] = []
        seen_sites: set[tuple[int, int]] = set()
        seen: set[int] = set()
        work: list[SSAValue] = list(start)
        while work:
            value = work.pop(0)
            if id(value) in seen:
                continue
            seen.add(id(value))
            for use in list(value.uses):
                owner = use.owner
                if any(optable.info(a).encoding == optable.EncodingRole.EXECUTABLE
                       for a in owner.ancestors()):
                    continue
                work.extend(self._flows(owner, use.index))
                if optable.info(owner).encoding == optable.EncodingRole.DISPATCH:
                    site = self._site(owner, use.index)
                    if site is not None and (id(owner), site.index) not in seen_sites:
                        seen_sites.add((id(owner), site.index))
                        sites.append(site)
        return sites

    def _site(self, dispatch: Operation, operand: int) -> Site | None:
        sig = self.text.signature(dispatch)
        index = operand - len(sig.workload)
        if not 0 <= index < len(sig.operands):
            return None
        in_init = any(optable.info(a).initializer for a in dispatch.ancestors())
        func = next((a for a in dispatch.ancestors()
                     if optable.info(a).role == optable.Role.FUNCTION), None)
        fname = func.symbols[0] if func is not None and func.symbols else \
            ("util.initializer" if in_init else "?")
        name = dispatch.operands[operand].name
        tied = any(e.tied == name and e.is_tensor for e in sig.results)
        return Site(dispatch, index, sig.operands[index], in_init, fname, tied)

    def _flows(self, op: Operation, index: int) -> list[SSAValue]:
        """Values that operand `index` of `op` flows into (spec 8.2's transitive walk): tied
        results, control flow and calls (the op table's interfaces), clones, global stores."""
        out: list[SSAValue] = [op.results[r] for r in optable.tied_results(op, index)]
        row = optable.info(op)
        if row.encoding == optable.EncodingRole.CLONE and op.results and index == 0:
            out.append(op.results[0])
        elif row.role == optable.Role.GLOBAL_STORE and op.symbols:
            for load in self.loads.get(op.symbols[0][1:], []):
                out.extend(load.results)
        else:
            out.extend(self.explorer.resolve(optable.operand_targets(op, index))[0])
        return out


def analyze(module: Module) -> Analysis:
    """Collect sources, versions, resolvers and consumer sites of a module."""
    return _Analyzer(module).run()
