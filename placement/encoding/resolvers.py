"""Layout resolvers: from an op's affinity to the ordered set of resolvers (spec 6.2), and
each resolver's unified encoding (spec 7, with IREE 3.13's resolvers).

A `ResolverElem` is either a layout resolver (`iree.encoding.resolver` of an executable
target) or a *non-resolver element* (a target without one). Target-specific resolvers (CPU,
VMVX, GPU) carry the executable target they were found on, because IREE clones them with the
target's configuration: two GPU targets of different architectures are two elements even when
the resolver text is the same. `identity_resolver` and `specialization_resolver<N>` do not.
"""

from __future__ import annotations

from dataclasses import dataclass

from placement.diagnostics import PlacementError
from placement.encoding.sizes import IDENTITY
from placement.ir.attributes import (
    Array,
    AttributeParser,
    DialectAttr,
    Dictionary,
    Integer,
    SymbolRef,
    Value,
    strip_type,
)

# Resolvers whose unified encoding is identity on IREE 3.13.
_IDENTITY_RESOLVERS = {"iree_encoding.identity_resolver", "iree_cpu.cpu_encoding_resolver",
                       "iree_cpu.vmvx_encoding_resolver", "iree_gpu.gpu_padding_resolver"}
_CONTEXT_FREE = {"iree_encoding.identity_resolver", "iree_encoding.specialization_resolver"}
GPU_RESOLVER = "iree_gpu.gpu_encoding_resolver"
CPU_RESOLVER = "iree_cpu.cpu_encoding_resolver"


@dataclass(frozen=True)
class ResolverElem:
    """One element of a resolver set."""

    resolver: DialectAttr | None  # None: a target without `iree.encoding.resolver`
    target: Value | None  # the executable target (context of target-specific resolvers)
    label: str  # short display text

    @property
    def is_resolver(self) -> bool:
        return self.resolver is not None


def unified_encoding(resolver: DialectAttr, encodings: list[Value]) -> Value | None:
    """`R.getUnifiedEncoding(E)` on IREE 3.13 (None: the resolver gives nothing)."""
    name = resolver.name
    if name in _IDENTITY_RESOLVERS:
        return IDENTITY
    if name == "iree_encoding.specialization_resolver":
        seed = resolver.positional()
        if seed and isinstance(seed[0], Integer):
            return DialectAttr("iree_encoding.specialized", (seed[0],))
        return None
    if name == GPU_RESOLVER:
        return encodings[0] if encodings else None
    return None


class ResolverLookup:
    """Answers `(affinity) -> ordered set of ResolverElem` for one module."""

    def __init__(self, attrs: AttributeParser, device_globals: dict[str, str]) -> None:
        self.attrs = attrs
        self.device_globals = device_globals  # name -> initial value text

    def devices_of(self, affinity_text: str | None) -> list[str]:
        """Device global names an affinity refers to (none, or `optimal<...>`: [])."""
        if not affinity_text:
            return []
        value = self.attrs.try_parse(affinity_text)
        return self._devices(value)

    def _devices(self, value: Value | None) -> list[str]:
        if not isinstance(value, DialectAttr):
            return []
        if value.name == "hal.device.affinity":
            for p in value.positional():
                if isinstance(p, SymbolRef):
                    return [p.root]
            return []
        # `#hal.device.optimal<[...]>`: spec 6.2 expands it to all its devices, but IREE 3.13
        # answers the empty set for it (probed: versions on optimal<[a, b]> and on @b unify
        # with @b's resolver alone). We follow 3.13.
        return []

    def _device_targets(self, device: str) -> list[DialectAttr] | None:
        """The device targets of a device global; None when its value cannot be read."""
        text = self.device_globals.get(device)
        if text is None:
            raise PlacementError(f"affinity names an undefined device global '@{device}'",
                                 self.attrs.module.filename)
        if not text:
            return []
        value = self.attrs.try_parse(text)
        if value is None:
            return None
        return self._targets_of(strip_type(value))

    def _targets_of(self, value: Value | None) -> list[DialectAttr]:
        if not isinstance(value, DialectAttr):
            return []
        if value.name == "hal.device.target":
            return [value]
        if value.name == "hal.device.select":
            out: list[DialectAttr] = []
            for p in value.positional():
                if isinstance(p, Array):
                    for item in p.items:
                        out.extend(self._targets_of(strip_type(item)))
            return out
        return []

    def resolvers(self, affinity_text: str | None) -> list[ResolverElem]:
        """The ordered resolver set of one query (spec 6.2)."""
        out: list[ResolverElem] = []
        for device in self.devices_of(affinity_text):
            targets = self._device_targets(device)
            if targets is None:  # unreadable: unknown target, only identity is safe
                elem = ResolverElem(None, None, f"unreadable device target of @{device}")
                if elem not in out:
                    out.append(elem)
                continue
            for target in targets:
                for exe in executable_targets(target):
                    elem = resolver_of(exe)
                    if elem not in out:
                        out.append(elem)
        return out


def executable_targets(device_target: DialectAttr) -> list[Value]:
    """The executable targets listed by a `#hal.device.target<...>`."""
    for p in device_target.positional():
        if isinstance(p, Array):
            return [strip_type(i) for i in p.items]
    return []


def resolver_of(exe: Value) -> ResolverElem:
    """The resolver set element contributed by one executable target."""
    config: Value | None = None
    if isinstance(exe, DialectAttr):
        for p in exe.positional():
            if isinstance(p, Dictionary):
                config = p
    resolver = config.get("iree.encoding.resolver") if isinstance(config, Dictionary) else None
    if isinstance(resolver, DialectAttr) and resolver.name.endswith("resolver"):
        context = None if resolver.name in _CONTEXT_FREE else exe
        label = str(resolver)
        if context is not None and isinstance(exe, DialectAttr):
            label += f" on {_target_label(exe)}"
        return ResolverElem(resolver, context, label)
    label = "target without resolver"
    if isinstance(exe, DialectAttr):
        label += f" ({_target_label(exe)})"
    return ResolverElem(None, exe, label)


def _target_label(exe: DialectAttr) -> str:
    names = [str(p) for p in exe.positional()[:2]]
    config = next((p for p in exe.positional() if isinstance(p, Dictionary)), None)
    if config is not None:
        info = config.get("iree_codegen.target_info")
        if isinstance(info, DialectAttr):
            arch = info.param("arch")
            if arch is not None:
                names.append(str(arch))
        cpu = config.get("cpu")
        if cpu is not None:
            names.append(str(cpu))
    return " ".join(names)
