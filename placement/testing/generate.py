"""Seeded, reproducible generator of valid flow-level MLIR modules over the golden op subset.

Every module is meant to be accepted by `iree-opt FILE -o /dev/null` (parse + verify) and by
our parser. The textual forms are copied from `golden/annotate_affinities.mlir`: devices are
referenced as `#hal.device.promise<@dev_N>` and never declared (the golden does not declare
them either), dispatch entry points are unresolved symbols, as in the golden.

Determinism: all choices come from one `random.Random(seed)`; the generator never iterates
over unordered containers, so the same arguments always give byte-identical text.

Feature names (see `FEATURES`) switch op families on and off; `None` means all of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from placement import ops as optable

FEATURES: tuple[str, ...] = (
    "calls",  # util.call between defined functions
    "recursion",  # calls may go to the caller itself or to earlier functions (cycles)
    "declarations",  # body-less `util.func private @ext(...) -> ...` callees
    "tied_calls",  # util.func signatures `-> %arg` and `util.call ... -> %x`
    "globals",  # util.global + util.global.load/store
    "unused_globals",  # globals with no load or store at all (with "globals")
    "initializer",  # util.initializer storing globals
    "cf",  # cf.br / cf.cond_br with block arguments, loops, early returns
    "scf",  # scf.if / scf.for, nested
    "scf_while",  # scf.while (with "scf")
    "ties",  # flow.dispatch results tied to operands (`-> %a`)
    "select",  # arith.select
    "barrier",  # util.optimization_barrier
    "hal",  # hal.tensor.import/export/alias/barrier
    "hal_implicit",  # hal.tensor.import/export/alias without `on(...)` (with "hal")
    "transfer",  # flow.tensor.transfer
    "constant",  # flow.tensor.constant
    "arith_constant",  # arith.constant of tensor type
    "splat",  # flow.tensor.splat
    "clone",  # flow.tensor.clone
    "dispatch",  # flow.dispatch
    "dispatch_affinity",  # `{stream.affinity = ...}` on affinity-aware ops
    "workload",  # flow.dispatch @d[%w](...)
    "multi_result",  # ops and functions with several results
    "public",  # public functions
    "func_affinity",  # `attributes {stream.affinity = ...}` on util.func
    "module_affinity",  # `module attributes {stream.affinity = ...}`
)
ALL_FEATURES: frozenset[str] = frozenset(FEATURES)
# Op families IREE 3.13 added or changed (spec 10.1). Never on by default (not in
# ALL_FEATURES), so the modules of today's seeds and features stay byte-identical.
IREE313_FEATURES: tuple[str, ...] = (
    "flow_barrier",  # flow.tensor.barrier %x : T on #affinity (10.1#5)
    "stream_resources",  # !stream.resource values: stream.async.splat, clone (needed below)
    "stream_import_export",  # stream.tensor.import/export on(...) (10.1#4)
    "async_transfer",  # stream.async.transfer [on(..)] [from(..)] -> [to(..)] (10.1#6, #7, #16)
    "stream_yield",  # stream.async.execute with(..) { stream.yield } (10.1#7)
    "while_split",  # scf.while whose condition forwards values other than what the body yields
)
KNOWN_FEATURES: frozenset[str] = ALL_FEATURES | frozenset(IREE313_FEATURES)

# Features on which IREE 3.13 annotates generated modules like the seed semantics (ignoring
# `.usage`): 599 of 600 generated modules were identical (the other one hits spec Q2, IREE's
# order-dependent global state). Left out: HAL ops (3.13 pins differently, spec 10.1 rows
# 2-3), scf.while (3.13 explorer region rules, spec 10.1 rows 12-14), unused globals (spec
# Q13) and tied util.func signatures. scf.if/scf.for agreed on 200 of 200.
ORACLE_COMPARABLE_FEATURES: frozenset[str] = ALL_FEATURES - {
    "hal", "hal_implicit", "scf_while", "unused_globals", "tied_calls"}

TENSOR_TYPES: tuple[str, ...] = ("tensor<1xi32>", "tensor<4xi32>", "tensor<2x2xf32>",
                                 "tensor<i32>")
_TENSOR_WEIGHTS: tuple[int, ...] = (8, 5, 2, 1)
_HAL_TYPES: tuple[str, ...] = ("!hal.buffer_view", "!hal.fence", "!hal.buffer")
_RANKS = {"tensor<1xi32>": 1, "tensor<4xi32>": 1, "tensor<2x2xf32>": 2, "tensor<i32>": 0}
_ELEMS = {"tensor<1xi32>": "i32", "tensor<4xi32>": "i32", "tensor<2x2xf32>": "f32",
          "tensor<i32>": "i32"}


@dataclass(frozen=True)
class GenConfig:
    """Knobs of the generator; `generate_module` builds one from its keyword arguments."""

    n_ops: int = 60
    n_devices: int = 3
    features: frozenset[str] = ALL_FEATURES
    ops_per_function: tuple[int, int] = (4, 24)
    max_scf_depth: int = 3
    max_cf_depth: int = 2
    # Callees are drawn from functions whose index is within this distance (None: any).
    call_window: int | None = None


def device_names(rng: random.Random, n: int) -> list[str]:
    """`n` distinct device symbols whose text order differs from their numeric order.

    With two or more devices there is always one `@dev_N` with N < 10 and one with N >= 10,
    so `@dev_10 < @dev_2` style ordering is exercised. Returned in numeric order.
    """
    if n < 1:
        raise ValueError("n_devices must be >= 1")
    if n == 1:
        nums = [rng.randint(1, 32)]
    else:
        low = rng.randint(2, 9)
        high = rng.randint(10, 19)  # `dev_1x` sorts before `dev_<low>` as text
        rest = [k for k in range(1, 41) if k not in (low, high)]
        nums = [low, high, *rng.sample(rest, n - 2)]
    return [f"dev_{k}" for k in sorted(nums)]


def _dense(rng: random.Random, ty: str) -> str:
    """A `dense<...> : ty` literal."""
    elem = _ELEMS[ty]
    if elem == "f32":
        value = f"{rng.randint(0, 40) / 4:.6e}"
        return f"dense<{value}> : {ty}"
    if ty == "tensor<4xi32>" and rng.random() < 0.3:
        items = ", ".join(str(rng.randint(0, 99)) for _ in range(4))
        return f"dense<[{items}]> : {ty}"
    if ty == "tensor<1xi32>" and rng.random() < 0.15:
        return f"dense<[{rng.randint(0, 99)}]> : {ty}"
    return f"dense<{rng.randint(0, 999)}> : {ty}"


@dataclass
class _Sig:
    """Signature of one function (defined or declared)."""

    index: int
    name: str
    arg_names: list[str]
    arg_types: list[str]
    result_types: list[str]
    ties: list[int]  # per result: tied argument index or -1
    public: bool = False
    declaration: bool = False
    affinity: str | None = None

    def results_text(self, operand_names: list[str], empty: str) -> str:
        """Result list as written after `->` (tied results name the operand)."""
        parts = [operand_names[t] if t >= 0 else r for r, t in zip(self.result_types, self.ties,
                                                                     strict=True)]
        if not parts:
            return empty
        if len(parts) == 1:
            return parts[0]
        return "(" + ", ".join(parts) + ")"


@dataclass
class _Global:
    """One util.global and how it is meant to be used."""

    name: str
    type: str
    mutable: bool
    affinity: str | None
    initial: str | None
    loads: bool
    stores: bool
    loaded: bool = False
    stored: bool = False


@dataclass
class _ModuleGen:
    """State shared by all function bodies of one module."""

    rng: random.Random
    cfg: GenConfig
    devices: list[str]
    sigs: list[_Sig] = field(default_factory=list)
    globals: list[_Global] = field(default_factory=list)
    dispatch_count: int = 0

    def has(self, feature: str) -> bool:
        """Whether a feature is enabled."""
        return feature in self.cfg.features

    def device(self) -> str:
        """A random affinity attribute."""
        return f"#hal.device.promise<@{self.rng.choice(self.devices)}>"

    def tensor_type(self) -> str:
        """A random tensor type, small shapes most likely."""
        return self.rng.choices(TENSOR_TYPES, weights=_TENSOR_WEIGHTS)[0]


class _Body:
    """Emits the body of one function (or initializer) as lines of text."""

    def __init__(self, mod: _ModuleGen, sig: _Sig | None, indent: int) -> None:
        self.m = mod
        self.rng = mod.rng
        self.sig = sig
        self.lines: list[str] = []
        self.indent = indent
        self.frames: list[list[tuple[str, str]]] = [[]]
        if sig is not None:
            self.frames[0].extend(zip(sig.arg_names, sig.arg_types, strict=True))
        self.counter = 0
        self.labels = 0
        self.ops = 0
        self.scf_depth = 0
        self.cf_depth = 0

    # ------------------------------------------------------------------ basics
    def fresh(self, prefix: str = "v") -> str:
        """A new SSA name, unique within the function."""
        self.counter += 1
        return f"%{prefix}{self.counter}"

    def label(self) -> str:
        """A new block label, unique within the function."""
        self.labels += 1
        return f"^bb{self.labels}"

    def define(self, name: str, ty: str) -> None:
        """Make a value visible in the current frame."""
        self.frames[-1].append((name, ty))

    def emit(self, text: str, op: bool = True) -> None:
        """Append one line at the current indentation."""
        self.lines.append("  " * self.indent + text)
        if op:
            self.ops += 1

    def emit_label(self, label: str, args: list[tuple[str, str]]) -> None:
        """Start a block, declaring its arguments in the current frame."""
        if args:
            arg_text = ", ".join(f"{n}: {t}" for n, t in args)
            self.lines.append("  " * (self.indent - 1) + f"{label}({arg_text}):")
        else:
            self.lines.append("  " * (self.indent - 1) + f"{label}:")
        for n, t in args:
            self.define(n, t)

    def bind(self, types: list[str]) -> tuple[str, list[str]]:
        """Result binding text (`%v3 = `, `%v3:2 = ` or ``) and the result value names."""
        if not types:
            return "", []
        name = self.fresh()
        if len(types) == 1:
            self.define(name, types[0])
            return f"{name} = ", [name]
        values = [f"{name}#{k}" for k in range(len(types))]
        for v, t in zip(values, types, strict=True):
            self.define(v, t)
        return f"{name}:{len(types)} = ", values

    def candidates(self, ty: str) -> list[str]:
        """Visible values of a type, oldest first."""
        return [n for frame in self.frames for n, t in frame if t == ty]

    def tensor_candidates(self) -> list[tuple[str, str]]:
        """Visible tensor values with their types, oldest first."""
        return [(n, t) for frame in self.frames for n, t in frame if t.startswith("tensor<")]

    def choose_recent(self, values: list[str]) -> str:
        """Pick a value, biased towards recent definitions (builds chains)."""
        if len(values) > 3 and self.rng.random() < 0.6:
            return self.rng.choice(values[-3:])
        return self.rng.choice(values)

    def pick(self, ty: str) -> str | None:
        """A visible value of type `ty`, materialized if possible when none is visible."""
        found = self.candidates(ty)
        if found and self.rng.random() < 0.9:
            return self.choose_recent(found)
        made = self.materialize(ty)
        if made is None and found:
            return self.choose_recent(found)
        return made

    def need(self, ty: str) -> str:
        """Like `pick` for types that can always be materialized."""
        value = self.pick(ty)
        assert value is not None, ty
        return value

    def pick_tensor(self) -> tuple[str, str]:
        """Any visible tensor value (or a new one) and its type."""
        found = self.tensor_candidates()
        if found and self.rng.random() < 0.92:
            if len(found) > 3 and self.rng.random() < 0.6:
                return self.rng.choice(found[-3:])
            return self.rng.choice(found)
        ty = self.m.tensor_type()
        return self.need(ty), ty

    def fresh_copy(self, value: str, ty: str) -> str:
        """A new value of tensor type `ty` distinct from `value` (a clone or a constant)."""
        if self.m.has("clone") and self.rng.random() < 0.5:
            name = self.fresh()
            self.emit(f"{name} = flow.tensor.clone {value} : {ty}")
            self.define(name, ty)
            return name
        return self.op_constant(ty)

    # ---------------------------------------------------------- materializing
    def materialize(self, ty: str) -> str | None:
        """Emit an op defining a fresh value of type `ty`; None for unmakeable types."""
        if ty.startswith("tensor<"):
            if self.m.has("splat") and self.rng.random() < 0.25:
                return self.op_splat(ty)
            if self.m.has("arith_constant") and self.rng.random() < 0.15:
                return self.op_arith_constant(ty)
            return self.op_constant(ty)
        if ty == "index":
            name = self.fresh("c")
            self.emit(f"{name} = arith.constant {self.rng.randint(0, 4)} : index")
            self.define(name, ty)
            return name
        if ty == "i32":
            name = self.fresh("c")
            self.emit(f"{name} = arith.constant {self.rng.randint(0, 200)} : i32")
            self.define(name, ty)
            return name
        if ty == "f32":
            name = self.fresh("c")
            self.emit(f"{name} = arith.constant {self.rng.randint(0, 40) / 4:.6e} : f32")
            self.define(name, ty)
            return name
        if ty == "i1":
            return self.make_condition()
        if ty == "!hal.buffer_view" and self.m.has("hal"):
            return self.op_export()
        return None

    def make_condition(self) -> str:
        """A fresh i1: a constant, or a scalar loaded from a tensor and compared."""
        tensors = self.tensor_candidates()
        if tensors and self.rng.random() < 0.5:
            src, ty = self.rng.choice(tensors)
            elem = _ELEMS[ty]
            index = ""
            if _RANKS[ty]:
                zero = self.need("index")
                index = "[" + ", ".join([zero] * _RANKS[ty]) + "]"
            loaded = self.fresh("s")
            self.emit(f"{loaded} = flow.tensor.load {src}{index} : {ty}")
            self.define(loaded, elem)
            other = self.need(elem)
            cond = self.fresh("cond")
            if elem == "f32":
                self.emit(f"{cond} = arith.cmpf olt, {loaded}, {other} : f32")
            else:
                self.emit(f"{cond} = arith.cmpi slt, {loaded}, {other} : i32")
            self.define(cond, "i1")
            return cond
        cond = self.fresh("cond")
        self.emit(f"{cond} = arith.constant {self.rng.choice(['true', 'false'])}")
        self.define(cond, "i1")
        return cond

    def affinity_attr(self, p: float) -> str | None:
        """An explicit `stream.affinity` value with probability p (if enabled)."""
        if self.m.has("dispatch_affinity") and self.rng.random() < p:
            return self.m.device()
        return None

    # -------------------------------------------------------------- plain ops
    def op_constant(self, ty: str | None = None) -> str:
        """`flow.tensor.constant [{stream.affinity}] dense<..> : T`."""
        ty = ty or self.m.tensor_type()
        aff = self.affinity_attr(0.35)
        attrs = f" {{stream.affinity = {aff}}}" if aff else ""
        name = self.fresh()
        self.emit(f"{name} = flow.tensor.constant{attrs} {_dense(self.rng, ty)}")
        self.define(name, ty)
        return name

    def op_arith_constant(self, ty: str | None = None) -> str:
        """`arith.constant [{stream.affinity}] dense<..> : T`."""
        ty = ty or self.m.tensor_type()
        aff = self.affinity_attr(0.3)
        attrs = f" {{stream.affinity = {aff}}}" if aff else ""
        name = self.fresh()
        self.emit(f"{name} = arith.constant{attrs} {_dense(self.rng, ty)}")
        self.define(name, ty)
        return name

    def op_splat(self, ty: str | None = None) -> str:
        """`flow.tensor.splat %s : T [attributes {stream.affinity}]`."""
        ty = ty or self.m.tensor_type()
        scalar = self.need(_ELEMS[ty])
        aff = self.affinity_attr(0.25)
        attrs = f" attributes {{stream.affinity = {aff}}}" if aff else ""
        name = self.fresh()
        self.emit(f"{name} = flow.tensor.splat {scalar} : {ty}{attrs}")
        self.define(name, ty)
        return name

    def op_clone(self) -> str:
        """`flow.tensor.clone %x : T [attributes {stream.affinity}]`."""
        src, ty = self.pick_tensor()
        aff = self.affinity_attr(0.25)
        attrs = f" attributes {{stream.affinity = {aff}}}" if aff else ""
        name = self.fresh()
        self.emit(f"{name} = flow.tensor.clone {src} : {ty}{attrs}")
        self.define(name, ty)
        return name

    def op_transfer(self) -> str:
        """`flow.tensor.transfer %x : T to #hal.device.promise<@dev>`."""
        src, ty = self.pick_tensor()
        name = self.fresh()
        self.emit(f"{name} = flow.tensor.transfer {src} : {ty} to {self.m.device()}")
        self.define(name, ty)
        return name

    def op_select(self) -> str:
        """`arith.select %c, %a, %b : T`."""
        a, ty = self.pick_tensor()
        b = self.need(ty)
        cond = self.need("i1")
        name = self.fresh()
        self.emit(f"{name} = arith.select {cond}, {a}, {b} : {ty}")
        self.define(name, ty)
        return name

    def op_barrier(self) -> None:
        """`util.optimization_barrier %a[, %b] : T[, U]`."""
        count = 2 if self.m.has("multi_result") and self.rng.random() < 0.25 else 1
        picked = [self.pick_tensor() for _ in range(count)]
        operands = ", ".join(v for v, _ in picked)
        types = [t for _, t in picked]
        lhs, _ = self.bind(types)
        self.emit(f"{lhs}util.optimization_barrier {operands} : {', '.join(types)}")

    def op_dispatch(self) -> None:
        """`flow.dispatch @ex[workload](args) [{stream.affinity}] : (types) -> results`."""
        rng = self.rng
        n_args = rng.choices((0, 1, 2, 3), weights=(1, 8, 5, 2))[0]
        args = [self.pick_tensor() for _ in range(n_args)]
        n_results = 2 if self.m.has("multi_result") and rng.random() < 0.2 else 1
        # `-> %x` names the first operand spelled %x: keep operands distinct.
        for k in range(1, n_args):
            if any(args[k][0] == a for a, _ in args[:k]):
                args[k] = (self.fresh_copy(*args[k]), args[k][1])
        tied: list[int] = []
        res_parts: list[str] = []
        res_types: list[str] = []
        for _ in range(n_results):
            free = [k for k in range(n_args) if k not in tied]
            if free and self.m.has("ties") and rng.random() < 0.3:
                k = rng.choice(free)
                tied.append(k)
                res_parts.append(args[k][0])
                res_types.append(args[k][1])
            else:
                ty = args[0][1] if args and rng.random() < 0.6 else self.m.tensor_type()
                res_parts.append(ty)
                res_types.append(ty)
        self.m.dispatch_count += 1
        target = f"@ex{self.m.dispatch_count}"
        if rng.random() < 0.3:
            target += f"::@ex{self.m.dispatch_count}_entry"
        workload = ""
        if self.m.has("workload") and rng.random() < 0.2:
            w = [self.need("index") for _ in range(rng.randint(1, 3))]
            workload = "[" + ", ".join(w) + "]"
        aff = self.affinity_attr(0.25)
        attrs = f" {{stream.affinity = {aff}}}" if aff else ""
        arg_text = ", ".join(v for v, _ in args)
        type_text = ", ".join(t for _, t in args)
        results = res_parts[0] if len(res_parts) == 1 else "(" + ", ".join(res_parts) + ")"
        lhs, _ = self.bind(res_types)
        self.emit(f"{lhs}flow.dispatch {target}{workload}({arg_text}){attrs} : "
                  f"({type_text}) -> {results}")

    def op_call(self) -> bool:
        """`util.call @f(args) : (types) -> results`; False when no callee fits here."""
        sigs = self.m.sigs
        me = self.sig.index if self.sig is not None else -1
        window = self.m.cfg.call_window
        for _ in range(4):
            if window is None:
                callee = self.rng.choice(sigs)
            else:
                lo = max(0, me - window) if self.m.has("recursion") else me + 1
                hi = min(len(sigs) - 1, me + window)
                if lo > hi:
                    return False
                callee = sigs[self.rng.randint(lo, hi)]
            if callee.index <= me and not callee.declaration and not self.m.has("recursion"):
                continue
            if callee.declaration and not self.m.has("declarations"):
                continue
            if not callee.declaration and not self.m.has("calls"):
                continue
            if any(t in _HAL_TYPES and t != "!hal.buffer_view" and not self.candidates(t)
                   for t in callee.arg_types):
                continue
            if "!hal.buffer_view" in callee.arg_types and not (
                    self.candidates("!hal.buffer_view") or self.m.has("hal")):
                continue
            operands = [self.need(t) if t not in _HAL_TYPES else self.pick(t) or ""
                        for t in callee.arg_types]
            if any(not o for o in operands):
                continue
            # `-> %x` names the first operand spelled %x: a tied operand must be unique.
            for k in callee.ties:
                if k >= 0 and operands.count(operands[k]) > 1:
                    operands[k] = self.fresh_copy(operands[k], callee.arg_types[k])
            results = callee.results_text(operands, "()")
            lhs, _ = self.bind(callee.result_types)
            self.emit(f"{lhs}util.call @{callee.name}({', '.join(operands)}) : "
                      f"({', '.join(callee.arg_types)}) -> {results}")
            return True
        return False

    def op_global_load(self) -> bool:
        """`util.global.load @g : T`."""
        loadable = [g for g in self.m.globals if g.loads]
        if not loadable:
            return False
        g = self.rng.choice(loadable)
        g.loaded = True
        name = self.fresh()
        self.emit(f"{name} = util.global.load @{g.name} : {g.type}")
        self.define(name, g.type)
        return True

    def op_global_store(self, in_initializer: bool = False) -> bool:
        """`util.global.store %x, @g : T` (immutable globals only in initializers)."""
        storable = [g for g in self.m.globals
                    if g.stores and (g.mutable or in_initializer)]
        if not storable:
            return False
        g = self.rng.choice(storable)
        self.store_global(g)
        return True

    def store_global(self, g: _Global) -> None:
        """Emit one store to `g`."""
        g.stored = True
        value = self.need(g.type)
        self.emit(f"util.global.store {value}, @{g.name} : {g.type}")

    # ---------------------------------------------------------------- hal ops
    def op_import(self) -> bool:
        """`hal.tensor.import [on(..)] [wait(%f) =>] %bv ["name"] : !hal.buffer_view -> T`."""
        views = self.candidates("!hal.buffer_view")
        if not views:
            return False
        view = self.rng.choice(views)
        ty = self.m.tensor_type()
        text = "hal.tensor.import"
        if self.rng.random() < 0.7 or not self.m.has("hal_implicit"):
            text += f" on({self.m.device()})"
        fences = self.candidates("!hal.fence")
        if fences and self.rng.random() < 0.5:
            text += f" wait({self.rng.choice(fences)}) =>"
        text += f" {view}"
        if self.rng.random() < 0.5:
            text += f' "input{self.counter}"'
        name = self.fresh()
        self.emit(f"{name} = {text} : !hal.buffer_view -> {ty}")
        self.define(name, ty)
        return True

    def op_export(self) -> str:
        """`hal.tensor.export [on(..)] %t ["name"] : T -> !hal.buffer_view`."""
        src, ty = self.pick_tensor()
        text = "hal.tensor.export"
        if self.rng.random() < 0.7 or not self.m.has("hal_implicit"):
            text += f" on({self.m.device()})"
        text += f" {src}"
        if self.rng.random() < 0.5:
            text += f' "output{self.counter}"'
        name = self.fresh()
        self.emit(f"{name} = {text} : {ty} -> !hal.buffer_view")
        self.define(name, "!hal.buffer_view")
        return name

    def op_alias(self) -> bool:
        """`hal.tensor.alias [on(..)] [wait(%f) =>] %t : T to %storage : !hal.buffer`."""
        storages = self.candidates("!hal.buffer")
        if not storages:
            return False
        src, ty = self.pick_tensor()
        text = "hal.tensor.alias"
        if self.rng.random() < 0.7 or not self.m.has("hal_implicit"):
            text += f" on({self.m.device()})"
        fences = self.candidates("!hal.fence")
        if fences and self.rng.random() < 0.3:
            text += f" wait({self.rng.choice(fences)}) =>"
        name = self.fresh()
        self.emit(f"{name} = {text} {src} : {ty} to {self.rng.choice(storages)} : !hal.buffer")
        self.define(name, ty)
        return True

    def op_hal_barrier(self) -> bool:
        """`[%r = ]hal.tensor.barrier join(%a[, %b] : T[, U]) => %fence : !hal.fence`."""
        fences = self.candidates("!hal.fence")
        if not fences:
            return False
        count = 2 if self.m.has("multi_result") and self.rng.random() < 0.25 else 1
        picked = [self.pick_tensor() for _ in range(count)]
        types = [t for _, t in picked]
        lhs = ""
        if self.rng.random() < 0.85:
            lhs, _ = self.bind(types)
        self.emit(f"{lhs}hal.tensor.barrier join({', '.join(v for v, _ in picked)} : "
                  f"{', '.join(types)}) => {self.rng.choice(fences)} : !hal.fence")
        return True

    # ---------------------------------------------------------------- IREE 3.13 ops
    def op_flow_barrier(self) -> None:
        """`%r = flow.tensor.barrier %x : T on #hal.device.promise<@dev>` (pins %x and %r)."""
        src, ty = self.pick_tensor()
        name = self.fresh()
        self.emit(f"{name} = flow.tensor.barrier {src} : {ty} on {self.m.device()}")
        self.define(name, ty)

    def _on(self, p: float) -> str:
        return f"on({self.m.device()}) " if self.rng.random() < p else ""

    def resource(self, lifetime: str = "*") -> str:
        """A visible `!stream.resource<lifetime>{%size}` value (a new splat if none)."""
        found = [n for frame in self.frames for n, t in frame
                 if t.startswith(f"!stream.resource<{lifetime}>")]
        if found and self.rng.random() < 0.85:
            return self.choose_recent(found)
        return self.op_resource(lifetime)

    def resource_type(self, name: str) -> str:
        """The `!stream.resource<..>{%size}` type text of a resource value."""
        return next(t for frame in self.frames for n, t in frame if n == name)

    def op_resource(self, lifetime: str = "*") -> str:
        """`%s = arith.constant N : index`, `%c = arith.constant K : i32`, then
        `%r = stream.async.splat [on(..)] %c : i32 -> !stream.resource<lifetime>{%s}`."""
        size, value, name = self.fresh("sz"), self.fresh("c"), self.fresh("r")
        self.emit(f"{size} = arith.constant {4 * self.rng.randint(1, 8)} : index")
        self.emit(f"{value} = arith.constant {self.rng.randint(0, 99)} : i32")
        ty = f"!stream.resource<{lifetime}>{{{size}}}"
        self.emit(f"{name} = stream.async.splat {self._on(0.4)}{value} : i32 -> {ty}")
        self.define(name, ty)
        return name

    def op_async_transfer(self, lifetime: str = "*") -> str:
        """`stream.async.transfer [on(..)] %r : T{%s} [from(..)] -> [to(..)] U{%s}`."""
        src = self.resource(self.rng.choice(("*", "external")))
        src_ty = self.resource_type(src)
        size = src_ty[src_ty.index("{"):]
        name = self.fresh("r")
        frm = f"from({self.m.device()}) " if self.rng.random() < 0.6 else ""
        to = f"to({self.m.device()}) " if self.rng.random() < 0.8 else ""
        ty = f"!stream.resource<{lifetime}>{size}"
        self.emit(f"{name} = stream.async.transfer {self._on(0.3)}{src} : {src_ty} {frm}-> "
                  f"{to}{ty}")
        self.define(name, ty)
        return name

    def op_stream_import(self) -> bool:
        """`stream.tensor.import [on(..)] %bv : !hal.buffer_view -> T in
        !stream.resource<external>{%s}` (pins when `on` is given)."""
        views = self.candidates("!hal.buffer_view")
        if not views:
            return False
        size, name = self.fresh("sz"), self.fresh("r")
        self.emit(f"{size} = arith.constant 16 : index")
        ty = f"!stream.resource<external>{{{size}}}"
        self.emit(f"{name} = stream.tensor.import {self._on(0.7)}{self.rng.choice(views)} : "
                  f"!hal.buffer_view -> tensor<4xi32> in {ty}")
        self.define(name, ty)
        return True

    def op_stream_export(self) -> None:
        """`stream.tensor.export [on(..)] %r : T in !stream.resource<external>{%s} ->
        !hal.buffer_view` (an external resource, transferred to one if needed)."""
        found = [n for frame in self.frames for n, t in frame
                 if t.startswith("!stream.resource<external>")]
        src = self.rng.choice(found) if found and self.rng.random() < 0.7 \
            else self.op_async_transfer("external")
        name = self.fresh()
        self.emit(f"{name} = stream.tensor.export {self._on(0.7)}{src} : tensor<4xi32> in "
                  f"{self.resource_type(src)} -> !hal.buffer_view")
        self.define(name, "!hal.buffer_view")

    def op_execute(self) -> None:
        """`%r, %tp = stream.async.execute [on(..)] with(%x as %cap: T{%s}) -> T{%s}
        { [stream.async.clone / transfer] stream.yield } => !stream.timepoint`."""
        src = self.resource()
        ty = self.resource_type(src)
        cap, inner, name, tp = self.fresh("cap"), self.fresh("r"), self.fresh("r"), \
            self.fresh("tp")
        tied = self.rng.random() < 0.3
        result = f"{src}{ty[ty.index('{'):]}" if tied else ty
        self.emit(f"{name}, {tp} = stream.async.execute {self._on(0.6)}with({src} as {cap}: "
                  f"{ty}) -> {result} {{")
        pad = "  " * (self.indent + 1)
        if tied or self.rng.random() < 0.5:
            self.lines.append(f"{pad}stream.yield {cap} : {ty}")
        else:
            self.lines.append(f"{pad}{inner} = stream.async.clone {self._on(0.3)}{cap} : "
                              f"{ty} -> {ty}")
            self.lines.append(f"{pad}stream.yield {inner} : {ty}")
        self.emit("} => !stream.timepoint", op=False)
        self.define(name, ty)

    # ---------------------------------------------------------------- regions
    def result_types(self, max_n: int) -> list[str]:
        """0..max_n tensor types for a region op (at most 1 without multi_result)."""
        if not self.m.has("multi_result"):
            max_n = min(max_n, 1)
        n = self.rng.choices(range(max_n + 1), weights=[1, 6, 3, 1][:max_n + 1])[0]
        return [self.m.tensor_type() for _ in range(n)]

    def region(self, budget: int, args: list[tuple[str, str]],
               finish: Callable[[], None]) -> None:
        """Emit one single-block region body: a frame with `args`, ops, then `finish()`."""
        self.frames.append(list(args))
        self.indent += 1
        self.scf_depth += 1
        self.sequence(budget)
        finish()
        self.scf_depth -= 1
        self.indent -= 1
        self.frames.pop()

    def yield_(self, types: list[str], keyword: str = "scf.yield") -> Callable[[], None]:
        """A `finish` callback that yields values of `types`."""
        def finish() -> None:
            if types:
                values = [self.need(t) for t in types]
                self.emit(f"{keyword} {', '.join(values)} : {', '.join(types)}")
            elif optable.info(keyword).role != optable.Role.YIELD:
                self.emit(keyword)
        return finish

    @staticmethod
    def _type_list(types: list[str]) -> str:
        return types[0] if len(types) == 1 else "(" + ", ".join(types) + ")"

    def op_if(self, budget: int) -> None:
        """`scf.if %c -> T { ... scf.yield } else { ... scf.yield }`."""
        cond = self.need("i1")
        types = self.result_types(3)
        sub = max(1, budget // 2)
        if types:
            head = f"scf.if {cond} -> {self._type_list(types)} {{"
        else:
            head = f"scf.if {cond} {{"
        # Results are defined after the regions; emit the head with a placeholder binding.
        at = len(self.lines)
        self.emit(head)
        self.region(sub, [], self.yield_(types))
        if types or self.rng.random() < 0.5:
            self.emit("} else {", op=False)
            self.region(sub, [], self.yield_(types))
        self.emit("}", op=False)
        lhs, _ = self.bind(types)
        self.lines[at] = self.lines[at].replace("scf.if", f"{lhs}scf.if", 1)

    def op_for(self, budget: int) -> None:
        """`scf.for %i = %lb to %ub step %s iter_args(%a = %x) -> T { ... }`."""
        lb, ub, step = self.need("index"), self.need("index"), self.need("index")
        types = self.result_types(3)
        inits = [self.need(t) for t in types]
        iv = self.fresh("i")
        iter_args = [(self.fresh("it"), t) for t in types]
        at = len(self.lines)
        if types:
            pairs = ", ".join(f"{a} = {x}" for (a, _), x in zip(iter_args, inits, strict=True))
            self.emit(f"scf.for {iv} = {lb} to {ub} step {step} iter_args({pairs}) -> "
                      f"{self._type_list(types)} {{")
        else:
            self.emit(f"scf.for {iv} = {lb} to {ub} step {step} {{")
        self.region(budget, [(iv, "index"), *iter_args], self.yield_(types))
        self.emit("}", op=False)
        lhs, _ = self.bind(types)
        self.lines[at] = self.lines[at].replace("scf.for", f"{lhs}scf.for", 1)

    def op_while(self, budget: int) -> None:
        """`scf.while(%a = %x) : (T) -> T { scf.condition } do { ^bb0(..): scf.yield }`."""
        types = self.result_types(3) or [self.m.tensor_type()]
        inits = [self.need(t) for t in types]
        before = [(self.fresh("w"), t) for t in types]
        sub = max(1, budget // 2)
        pairs = ", ".join(f"{a} = {x}" for (a, _), x in zip(before, inits, strict=True))
        at = len(self.lines)
        self.emit(f"scf.while({pairs}) : ({', '.join(types)}) -> {self._type_list(types)} {{")

        def condition() -> None:
            cond = self.make_condition() if self.rng.random() < 0.7 else self.need("i1")
            if self.m.has("while_split"):
                # Forward values the body does not yield: fresh transfers of the before-args.
                values = [self.fresh_transfer(a, t) for a, t in before]
            else:
                values = [self.need(t) for t in types]
            self.emit(f"scf.condition({cond}) {', '.join(values)} : {', '.join(types)}")

        self.region(sub, before, condition)
        self.emit("} do {", op=False)
        after = [(self.fresh("w"), t) for t in types]
        self.lines.append("  " * self.indent + "^bb0(" +
                          ", ".join(f"{n}: {t}" for n, t in after) + "):")
        self.region(sub, after, self.yield_(types))
        self.emit("}", op=False)
        lhs, _ = self.bind(types)
        self.lines[at] = self.lines[at].replace("scf.while", f"{lhs}scf.while", 1)

    def fresh_transfer(self, value: str, ty: str) -> str:
        """`%x = flow.tensor.transfer value : ty to #dev` (a value only this op defines)."""
        name = self.fresh()
        self.emit(f"{name} = flow.tensor.transfer {value} : {ty} to {self.m.device()}")
        self.define(name, ty)
        return name

    # -------------------------------------------------------------------- cf
    def block_args(self, max_n: int = 2) -> list[str]:
        """Types of the arguments of a new block."""
        n = self.rng.choices(range(max_n + 1), weights=[2, 5, 2][:max_n + 1])[0]
        return [self.m.tensor_type() for _ in range(n)]

    def successor(self, label: str, types: list[str]) -> str:
        """`^bbN(%a, %b : T, U)` with values picked from the current scope."""
        if not types:
            return label
        values = [self.need(t) for t in types]
        return f"{label}({', '.join(values)} : {', '.join(types)})"

    def new_args(self, types: list[str]) -> list[tuple[str, str]]:
        """Fresh block argument names for `types`."""
        return [(self.fresh("b"), t) for t in types]

    def cf_diamond(self, budget: int) -> None:
        """cond_br to two blocks (or one block twice) that branch to a join block."""
        cond = self.need("i1")
        join_types = self.block_args()
        join = self.label()
        if self.rng.random() < 0.25:
            self.emit(f"cf.cond_br {cond}, {self.successor(join, join_types)}, "
                      f"{self.successor(join, join_types)}")
            self.emit_label(join, self.new_args(join_types))
            return
        then, other = self.label(), self.label()
        then_types, other_types = self.block_args(), self.block_args()
        self.emit(f"cf.cond_br {cond}, {self.successor(then, then_types)}, "
                  f"{self.successor(other, other_types)}")
        for lab, types in ((then, then_types), (other, other_types)):
            self.frames.append([])
            self.emit_label(lab, self.new_args(types))
            self.cf_depth += 1
            self.sequence(max(1, budget // 2))
            self.cf_depth -= 1
            self.emit(f"cf.br {self.successor(join, join_types)}")
            self.frames.pop()
        self.emit_label(join, self.new_args(join_types))

    def cf_loop(self, budget: int) -> None:
        """A loop header with a back edge (directly or through a body block) and an exit."""
        head_types = self.block_args()
        exit_types = self.block_args()
        head, leave = self.label(), self.label()
        self.emit(f"cf.br {self.successor(head, head_types)}")
        self.emit_label(head, self.new_args(head_types))
        self.cf_depth += 1
        self.sequence(max(1, budget // 2))
        cond = self.need("i1")
        if self.rng.random() < 0.4:
            self.emit(f"cf.cond_br {cond}, {self.successor(head, head_types)}, "
                      f"{self.successor(leave, exit_types)}")
        else:
            body = self.label()
            body_types = self.block_args()
            self.emit(f"cf.cond_br {cond}, {self.successor(body, body_types)}, "
                      f"{self.successor(leave, exit_types)}")
            self.frames.append([])
            self.emit_label(body, self.new_args(body_types))
            self.sequence(max(1, budget // 2))
            self.emit(f"cf.br {self.successor(head, head_types)}")
            self.frames.pop()
        self.cf_depth -= 1
        self.emit_label(leave, self.new_args(exit_types))

    def cf_early_return(self, budget: int) -> None:
        """cond_br to a returning block and a continuation block."""
        if self.sig is None:
            return
        cond = self.need("i1")
        ret, cont = self.label(), self.label()
        ret_types, cont_types = self.block_args(), self.block_args()
        self.emit(f"cf.cond_br {cond}, {self.successor(ret, ret_types)}, "
                  f"{self.successor(cont, cont_types)}")
        self.frames.append([])
        self.emit_label(ret, self.new_args(ret_types))
        self.cf_depth += 1
        self.sequence(max(1, budget // 3))
        self.cf_depth -= 1
        self.emit_return()
        self.frames.pop()
        self.emit_label(cont, self.new_args(cont_types))

    def cf_branch(self) -> None:
        """An unconditional branch to a fresh block."""
        types = self.block_args()
        target = self.label()
        self.emit(f"cf.br {self.successor(target, types)}")
        self.emit_label(target, self.new_args(types))

    def emit_return(self) -> None:
        """`util.return` of values of the function's result types."""
        types = self.sig.result_types if self.sig is not None else []
        if not types:
            self.emit("util.return")
            return
        values = [self.need(t) for t in types]
        self.emit(f"util.return {', '.join(values)} : {', '.join(types)}")

    # ------------------------------------------------------------ the driver
    def sequence(self, budget: int) -> None:
        """Emit about `budget` ops into the current block (cf constructs may open blocks)."""
        end = self.ops + max(1, budget)
        m = self.m
        while self.ops < end:
            left = end - self.ops
            kinds: list[tuple[str, int]] = []
            if m.has("constant"):
                kinds.append(("constant", 6))
            if m.has("arith_constant"):
                kinds.append(("arith_constant", 1))
            if m.has("splat"):
                kinds.append(("splat", 3))
            if m.has("clone"):
                kinds.append(("clone", 3))
            if m.has("transfer"):
                kinds.append(("transfer", 10))
            if m.has("dispatch"):
                kinds.append(("dispatch", 10))
            if m.has("select"):
                kinds.append(("select", 3))
            if m.has("barrier"):
                kinds.append(("barrier", 3))
            if m.has("calls") or m.has("declarations"):
                kinds.append(("call", 6))
            if m.has("globals") and m.globals:
                kinds.append(("load", 3))
                kinds.append(("store", 2))
            if m.has("hal"):
                kinds.extend((("import", 2), ("export", 1), ("alias", 1), ("hal_barrier", 2)))
            if m.has("flow_barrier"):
                kinds.append(("flow_barrier", 3))
            if m.has("stream_resources"):
                kinds.append(("resource", 3))
                if m.has("async_transfer"):
                    kinds.append(("async_transfer", 4))
                if m.has("stream_import_export"):
                    kinds.extend((("stream_import", 2), ("stream_export", 2)))
                if m.has("stream_yield"):
                    kinds.append(("execute", 2))
            if m.has("scf") and self.scf_depth < m.cfg.max_scf_depth and left >= 3:
                kinds.extend((("if", 2), ("for", 2)))
                if m.has("scf_while"):
                    kinds.append(("while", 2))
            if (m.has("cf") and self.scf_depth == 0 and self.cf_depth < m.cfg.max_cf_depth
                    and self.sig is not None and left >= 3):
                kinds.extend((("diamond", 2), ("loop", 2), ("early_return", 1), ("br", 1)))
            if not kinds:
                self.op_constant()
                continue
            kind = self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
            sub = min(left, self.rng.randint(2, 8))
            if kind == "constant":
                self.op_constant()
            elif kind == "arith_constant":
                self.op_arith_constant()
            elif kind == "splat":
                self.op_splat()
            elif kind == "clone":
                self.op_clone()
            elif kind == "transfer":
                self.op_transfer()
            elif kind == "dispatch":
                self.op_dispatch()
            elif kind == "select":
                self.op_select()
            elif kind == "barrier":
                self.op_barrier()
            elif kind == "call":
                if not self.op_call():
                    self.op_transfer()
            elif kind == "load":
                if not self.op_global_load():
                    self.op_constant()
            elif kind == "store":
                if not self.op_global_store():
                    self.op_clone()
            elif kind == "import":
                if not self.op_import():
                    self.op_export()
            elif kind == "export":
                self.op_export()
            elif kind == "alias":
                if not self.op_alias():
                    self.op_clone()
            elif kind == "hal_barrier":
                if not self.op_hal_barrier():
                    self.op_transfer()
            elif kind == "flow_barrier":
                self.op_flow_barrier()
            elif kind == "resource":
                self.op_resource()
            elif kind == "async_transfer":
                self.op_async_transfer()
            elif kind == "stream_import":
                if not self.op_stream_import():
                    self.op_resource()
            elif kind == "stream_export":
                self.op_stream_export()
            elif kind == "execute":
                self.op_execute()
            elif kind == "if":
                self.op_if(sub)
            elif kind == "for":
                self.op_for(sub)
            elif kind == "while":
                self.op_while(sub)
            elif kind == "diamond":
                self.cf_diamond(sub)
            elif kind == "loop":
                self.cf_loop(sub)
            elif kind == "early_return":
                self.cf_early_return(sub)
            else:
                self.cf_branch()


# ---------------------------------------------------------------------- module level
def _make_signatures(mod: _ModuleGen, budgets: list[int]) -> None:
    """Signatures of all defined functions and declarations, in module order."""
    rng = mod.rng
    n_funcs = len(budgets)
    n_decls = 0
    if mod.has("declarations"):
        n_decls = rng.randint(1, max(1, n_funcs // 4 + 1))
    kinds = ["def"] * n_funcs + ["decl"] * n_decls
    # Declarations are placed among the functions, deterministically.
    for i in range(len(kinds) - 1, 0, -1):
        j = rng.randint(0, i)
        kinds[i], kinds[j] = kinds[j], kinds[i]
    multi = mod.has("multi_result")
    for index, kind in enumerate(kinds):
        decl = kind == "decl"
        public = (not decl) and mod.has("public") and rng.random() < 0.2
        n_tensor_args = rng.choices((0, 1, 2, 3), weights=(2, 5, 3, 1))[0]
        arg_types = [mod.tensor_type() for _ in range(n_tensor_args)]
        if rng.random() < 0.35:
            arg_types.insert(rng.randint(0, len(arg_types)), "i1")
        if mod.has("hal") and not decl and rng.random() < (0.7 if public else 0.25):
            for hal_type in _HAL_TYPES:
                if rng.random() < 0.6:
                    arg_types.append(hal_type)
        n_results = rng.choices((0, 1, 2, 3), weights=(2, 6, 2 if multi else 0,
                                                       1 if multi else 0))[0]
        result_types = [mod.tensor_type() for _ in range(n_results)]
        if decl and rng.random() < 0.3 and len(result_types) < 3:
            result_types.append("i1")
        if (not decl and mod.has("hal") and "!hal.buffer_view" in arg_types
                and rng.random() < 0.5 and (multi or not result_types)):
            result_types.append("!hal.buffer_view")
        ties = [-1] * len(result_types)
        if mod.has("tied_calls") and not decl:
            for r, ty in enumerate(result_types):
                free = [a for a, at in enumerate(arg_types) if at == ty and a not in ties]
                if free and ty.startswith("tensor<") and rng.random() < 0.3:
                    ties[r] = rng.choice(free)
        prefix = "ext" if decl else ("main" if public else "f")
        name = f"{prefix}{index}"
        arg_names = [f"%arg{k}" for k in range(len(arg_types))]
        affinity = None
        if not decl and mod.has("func_affinity") and rng.random() < 0.15:
            affinity = mod.device()
        mod.sigs.append(_Sig(index, name, arg_names, arg_types, result_types, ties,
                             public=public, declaration=decl, affinity=affinity))


def _make_globals(mod: _ModuleGen, n_funcs: int) -> None:
    """Globals of all usage modes."""
    rng = mod.rng
    if not mod.has("globals"):
        return
    n_globals = rng.randint(1, max(1, n_funcs // 2 + 1))
    for k in range(n_globals):
        ty = mod.tensor_type()
        mutable = rng.random() < 0.5
        mode = rng.choice(("loaded", "stored", "both", "neither"))
        if mode == "neither" and not mod.has("unused_globals"):
            mode = "loaded"
        loads = mode in ("loaded", "both")
        stores = mode in ("stored", "both")
        if stores and not mutable and not mod.has("initializer"):
            stores = False
        if not (loads or stores or mod.has("unused_globals")):
            loads = True
        initial = None
        if rng.random() < 0.4 and not (stores and not mutable):
            initial = _dense(rng, ty)
        affinity = mod.device() if rng.random() < 0.4 else None
        mod.globals.append(_Global(f"g{k}", ty, mutable, affinity, initial, loads, stores))


def _global_text(g: _Global) -> str:
    text = "util.global private "
    if g.mutable:
        text += "mutable "
    text += f"@{g.name}"
    if g.affinity:
        text += f" {{stream.affinity = {g.affinity}}}"
    if g.initial:
        return text + f" = {g.initial}"
    return text + f" : {g.type}"


def _signature_text(sig: _Sig) -> str:
    vis = "public" if sig.public else "private"
    if sig.declaration:
        args = ", ".join(sig.arg_types)
    else:
        args = ", ".join(f"{n}: {t}" for n, t in zip(sig.arg_names, sig.arg_types, strict=True))
    text = f"util.func {vis} @{sig.name}({args})"
    results = sig.results_text(sig.arg_names, "")
    if results:
        text += f" -> {results}"
    if sig.affinity:
        text += f" attributes {{stream.affinity = {sig.affinity}}}"
    return text


def _split_budget(rng: random.Random, n_ops: int, lo: int, hi: int) -> list[int]:
    budgets: list[int] = []
    left = max(1, n_ops)
    while left > 0:
        # At least one op per function: a draw of 0 (`ops_per_function=(0, 0)`) made no
        # progress and looped forever.
        size = min(left, max(1, rng.randint(lo, hi)))
        budgets.append(size)
        left -= size
    return budgets


def generate_from_config(seed: int, cfg: GenConfig) -> str:
    """A module for `seed` and `cfg` (see `generate_module`)."""
    unknown = sorted(cfg.features - KNOWN_FEATURES)
    if unknown:
        raise ValueError(f"unknown generator features: {', '.join(unknown)}")
    rng = random.Random(seed)
    mod = _ModuleGen(rng, cfg, device_names(rng, cfg.n_devices))
    budgets = _split_budget(rng, cfg.n_ops, *cfg.ops_per_function)
    _make_signatures(mod, budgets)
    _make_globals(mod, len(budgets))

    wrap = mod.has("module_affinity") and rng.random() < 0.3
    base = 1 if wrap else 0
    out: list[str] = []
    if wrap:
        out.append(f"module attributes {{stream.affinity = {mod.device()}}} {{")
    pad = "  " * base

    bodies: list[list[str]] = []
    budget_iter = iter(budgets)
    for sig in mod.sigs:
        if sig.declaration:
            bodies.append([pad + _signature_text(sig)])
            continue
        body = _Body(mod, sig, base + 1)
        body.sequence(next(budget_iter))
        body.emit_return()
        bodies.append([pad + _signature_text(sig) + " {", *body.lines, pad + "}"])

    # Initializer: stores to immutable globals (and sometimes mutable ones).
    init_lines: list[str] = []
    if mod.has("initializer") and mod.globals:
        pending = [g for g in mod.globals if g.stores and not g.mutable]
        extra = [g for g in mod.globals if g.stores and g.mutable and rng.random() < 0.3]
        if pending or extra or rng.random() < 0.2:
            init = _Body(mod, None, base + 1)
            for g in pending + extra:
                if rng.random() < 0.5 and mod.has("transfer"):
                    init.op_transfer()
                init.store_global(g)
            if not pending and not extra:
                init.op_constant()
            init.emit("util.return")
            init_lines = [pad + "util.initializer {", *init.lines, pad + "}"]

    # Globals whose intended uses did not happen get a dedicated user function.
    missing = [g for g in mod.globals
               if (g.loads and not g.loaded) or (g.stores and g.mutable and not g.stored)]
    user_lines: list[str] = []
    if missing:
        user_sig = _Sig(len(mod.sigs), "globals_user", [], [], [], [])
        user = _Body(mod, user_sig, base + 1)
        for g in missing:
            if g.loads and not g.loaded:
                g.loaded = True
                name = user.fresh()
                user.emit(f"{name} = util.global.load @{g.name} : {g.type}")
                user.define(name, g.type)
                if rng.random() < 0.5 and mod.has("transfer"):
                    user.op_transfer()
            if g.stores and g.mutable and not g.stored:
                user.store_global(g)
        user.emit("util.return")
        user_lines = [pad + _signature_text(user_sig) + " {", *user.lines, pad + "}"]

    for g in mod.globals:
        out.append(pad + _global_text(g))
    out.extend(init_lines)
    for lines in bodies:
        out.extend(lines)
    out.extend(user_lines)
    if wrap:
        out.append("}")
    return "\n".join(out) + "\n"


def generate_module(seed: int, *, n_ops: int = 60, n_devices: int = 3,
                    features: frozenset[str] | None = None, **knobs: object) -> str:
    """A valid flow-level module with about `n_ops` ops over `n_devices` devices.

    `features` selects op families (default: all of `FEATURES`); extra keyword arguments are
    `GenConfig` fields (`ops_per_function`, `max_scf_depth`, `max_cf_depth`, `call_window`).
    """
    cfg = GenConfig(n_ops=n_ops, n_devices=n_devices,
                    features=ALL_FEATURES if features is None else frozenset(features),
                    **knobs)  # type: ignore[arg-type]
    return generate_from_config(seed, cfg)


def generate_pinned_tie_chain(n: int, pin: str = "bottom", pinner: str = "alias") -> str:
    """A chain of `n` tied dispatches pinned at its `bottom` (last value) or `top` (first),
    as IREE's `@long_tied_chain_pinned_*` tests (n = 23 there); pins cross every tie.

    `pinner` is `alias` (`hal.tensor.alias on(@dev_b)` of the pinned value, with a
    `!hal.buffer` argument) or `barrier` (`flow.tensor.barrier ... on @dev_b`, 3.13 only).
    The chain starts at a constant on `@dev_a`. With pin precomputation (PR #20945) IREE 3.13
    annotates every chain length; before it, long chains exceeded the solver bound.
    """
    if pin not in ("bottom", "top") or pinner not in ("alias", "barrier"):
        raise ValueError(f"unknown pinned chain {pin!r}/{pinner!r}")
    ty = "tensor<4xi32>"
    b = "#hal.device.promise<@dev_b>"
    lines = [f"util.func private @pinned_chain(%storage: !hal.buffer) -> {ty} {{",
             f"  %v0 = flow.tensor.constant {{stream.affinity = #hal.device.promise<@dev_a>}} "
             f"dense<1> : {ty}"]
    first = 0
    if pin == "top":
        lines.append(_pin_line("%p0", "%v0", ty, b, pinner))
        lines.append(f"  %v1 = flow.dispatch @d1(%p0) : ({ty}) -> %p0")
        first = 1
    for i in range(first + 1, n + 1):
        lines.append(f"  %v{i} = flow.dispatch @d{i}(%v{i - 1}) : ({ty}) -> %v{i - 1}")
    last = f"%v{n}"
    if pin == "bottom":
        lines.append(_pin_line("%pn", last, ty, b, pinner))
        last = "%pn"
    lines.append(f"  util.return {last} : {ty}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _pin_line(name: str, value: str, ty: str, device: str, pinner: str) -> str:
    if pinner == "alias":
        return f"  {name} = hal.tensor.alias on({device}) {value} : {ty} to %storage : !hal.buffer"
    return f"  {name} = flow.tensor.barrier {value} : {ty} on {device}"


def generate_tie_chain(n: int, kind: str = "dispatch", device: str = "dev_a") -> str:
    """A module with one chain of `n` ops each consuming the previous value.

    `kind` is `dispatch` (`flow.dispatch @dN(%x) : (T) -> %x`, tied), `barrier`
    (`util.optimization_barrier`) or `select` (`arith.select %c, %x, %x`). The chain starts at
    an unplaced `flow.tensor.constant` and ends in a transfer to `@device`, so the consumer
    affinity must travel the whole chain back to the constant: the analysis needs about `n`
    propagation steps and must not stop at an iteration bound. Every op then gets `@device`.

    IREE 3.13 is no oracle here: `iree-opt --iree-stream-annotate-affinities` exits 1 without
    a diagnostic from n = 66 on (65 passes), for all three kinds
    (its solver iteration bound, spec 10.1 row 10).
    """
    if kind not in ("dispatch", "barrier", "select"):
        raise ValueError(f"unknown chain kind {kind!r}")
    ty = "tensor<4xi32>"
    lines = []
    args = "%cond: i1" if kind == "select" else ""
    lines.append(f"util.func private @tie_chain({args}) -> {ty} {{")
    lines.append(f"  %v0 = flow.tensor.constant dense<1> : {ty}")
    for i in range(1, n + 1):
        prev = f"%v{i - 1}"
        if kind == "dispatch":
            lines.append(f"  %v{i} = flow.dispatch @d{i}({prev}) : ({ty}) -> {prev}")
        elif kind == "barrier":
            lines.append(f"  %v{i} = util.optimization_barrier {prev} : {ty}")
        else:
            lines.append(f"  %v{i} = arith.select %cond, {prev}, {prev} : {ty}")
    lines.append(f"  %out = flow.tensor.transfer %v{n} : {ty} to #hal.device.promise<@{device}>")
    lines.append(f"  util.return %out : {ty}")
    lines.append("}")
    return "\n".join(lines) + "\n"
