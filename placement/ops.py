"""The op table: everything the project knows about particular ops, in one place.

Engines, the parser and the printer ask this table; they never test op names themselves.
Adding an op means adding a row. An op with no row is parsed structurally and treated
conservatively: not affinity-aware, not tied, not pinning, no region-branch rules, and its
affinity-typed operands and results are still annotated.

Each row states an op's *semantics* once: its role, its affinity attributes, its ties, and its
control-flow interfaces (MLIR's RegionBranchOpInterface, BranchOpInterface, CallOpInterface and
return-like / region terminators), declared as data (`RegionBranch`, `Terminator`). The query
functions at the end of this module (`operand_targets`, `value_sources`, `tied_operand`,
`tied_results`, `successor_operands`, `forwarded_operands`, `callee_symbol`, ...) are the one
place that answers "where does operand i flow" and "what flows into value v"; the explorer, both
rule sets and the encoding analysis call them. A row holds no syntax: how an op is written
(operand order, where its attribute dictionary goes, its result types) is its declarative
format in `FORMATS` below, from which the parser and the IR printer both derive.

The rows follow `../shared/spec/affinity-analysis.md` sections 1.1-1.3 (the seed's semantics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, Union

if TYPE_CHECKING:
    from placement.ir.core import Block, BlockArgument, Operation, OpResult, Value


class Role(StrEnum):
    """What an op is (a coarse kind, for reports and checks; data flow is in the interfaces)."""

    NONE = "none"
    CALL = "call"  # CallOpInterface with the callee as the first @symbol
    RETURN = "return"  # return-like terminator of a function
    YIELD = "yield"  # scf.yield: return-like terminator of a region-branch op
    CONDITION = "condition"  # scf.condition
    REGION_TERMINATOR = "region_terminator"  # other terminators that end a region (stream.yield)
    BRANCH = "branch"  # cf.br / cf.cond_br / cf.switch
    SCF_FOR = "scf.for"
    SCF_WHILE = "scf.while"
    SCF_IF = "scf.if"
    REGION_BRANCH = "region_branch"  # other region-branch ops (not modelled; see spec Q20)
    GLOBAL = "global"  # util.global
    GLOBAL_LOAD = "global_load"
    GLOBAL_STORE = "global_store"
    GLOBAL_ADDRESS = "global_address"
    SELECT = "select"  # arith.select
    OPT_BARRIER = "optimization_barrier"
    FUNCTION = "function"  # function-like (FunctionOpInterface)
    OBJECT = "object"  # executables: skipped by annotation, bodies are separate worlds
    MODULE = "module"


class EncodingRole(StrEnum):
    """What an op is to the unified-encodings pass (placement/encoding)."""

    NONE = "none"
    ENCODE = "encode"  # stream.tensor.encode
    SIZEOF = "sizeof"  # stream.tensor.sizeof
    CONSTANT = "constant"  # stream.tensor.constant: where a source can start
    CLONE = "clone"  # stream.async.clone: the source trace passes through it
    DISPATCH = "dispatch"  # stream.tensor.dispatch: a consumer of encoded operands
    BINDING = "binding"  # stream.binding.subspan: an executable's view of an operand
    EXECUTABLE = "executable"  # stream.executable


class Ties(StrEnum):
    """Which results alias (are tied to) which operands."""

    NONE = "none"
    SYNTAX = "syntax"  # `-> %operand` in the signature names the tied operand
    FIRST = "first"  # result 0 <-> operand 0
    PAIRWISE = "pairwise"  # result i <-> operand i


# ------------------------------------------------------------------ control-flow interfaces
@dataclass(frozen=True)
class Inputs:
    """Where forwarded values land: the entry-block arguments of region `region` from argument
    `first` on, or (`region` None) the op's own results."""

    region: int | None
    first: int = 0


RESULTS = Inputs(None)


@dataclass(frozen=True)
class RegionBranch:
    """RegionBranchOpInterface: how values enter, cross and leave an op's regions.

    `operands[entry_from:]` are forwarded, in order, to each of `entry` when the op starts
    (None: no operand is forwarded). `exits[r]` lists where the forwarded operands of region
    r's terminator go (see `Terminator`). `exits` None means the op is a region-branch op whose
    flows are not modelled (spec Q20): traversals treat its region arguments as unknown.
    """

    entry_from: int | None = None
    entry: tuple[Inputs, ...] = ()
    exits: tuple[tuple[Inputs, ...], ...] | None = None

    @property
    def modelled(self) -> bool:
        """Whether the region flows are described (else traversals are INCOMPLETE)."""
        return self.exits is not None


@dataclass(frozen=True)
class Terminator:
    """A region terminator: `operands[forwards_from:]` are forwarded to its region's successors
    (the parent's `RegionBranch.exits`, or a function's call sites when `return_like`)."""

    forwards_from: int = 0
    # ReturnLike: returns from a function, or from a region to its parent op.
    return_like: bool = False


class Across(StrEnum):
    """Which end of a call edge a `CallFlow` names (the explorer resolves the call graph)."""

    CALLEE_ARG = "callee_arg"  # entry-block argument `index` of the function a call calls
    CALLEE_RETURN = "callee_return"  # operand `index` of that function's return-like terminators
    CALLER_RESULT = "caller_result"  # result `index` of every call site of a function
    CALLER_OPERAND = "caller_operand"  # operand `index` of every call site of a function


@dataclass(frozen=True, slots=True)
class CallFlow:
    """Values across a call edge: `op` is the call (CALLEE_*) or the function (CALLER_*)."""

    across: Across
    op: Operation
    index: int


# Where an operand flows (`operand_targets`) or what flows into a value (`value_sources`).
Flow: TypeAlias = Union["Value", CallFlow]  # noqa: UP007 (Value is a forward reference)


@dataclass(frozen=True)
class OpInfo:
    """One row of the op table."""

    role: Role = Role.NONE
    # Affinity-aware ops (AffinityOpInterface): the attribute names that hold the affinity, in
    # lookup order (custom syntax keywords such as `on`/`to` are stored under their keyword).
    affinity_attrs: tuple[str, ...] | None = None
    # requiresAffinity: True, False, or "tensor" (true iff the op's type/result is a tensor).
    requires_affinity: bool | str = True
    pins: bool = False
    ties: Ties = Ties.NONE
    constant_like: bool = False
    # IsolatedFromAbove: the regions do not see enclosing values (their SSA names are a new
    # scope). Always true of functions, modules and executables (roles FUNCTION, MODULE,
    # OBJECT); set explicitly for other ops.
    isolated_from_above: bool = False
    # util.return: its operands' consumers include the results of the function's call sites.
    returns_to_call_sites: bool = False
    # Computes the explicit affinity attribute text for ops whose rule is not one attribute.
    affinity_hook: Callable[[Operation], str | None] | None = field(default=None, compare=False)
    # The op's part in the unified-encodings pass.
    encoding: EncodingRole = EncodingRole.NONE
    # A copy of operand 0 (flow.tensor.clone, stream.async.clone): `place` runs it with its input.
    clone: bool = False
    # util.initializer: runs once at load time (initializer sites weigh `init`, not `runtime`).
    initializer: bool = False
    # The op defines a symbol: its first `@name` is its own name, not a use.
    defines_symbol: bool = False
    # Invisible to the explorer's traversals (spec 1.3: IGNORE action).
    ignored_by_explorer: bool = False
    # RegionBranchOpInterface (scf.for, scf.while, scf.if, ...).
    region_branch: RegionBranch | None = None
    # Region terminators (scf.yield, scf.condition, util.return, ...).
    terminator: Terminator | None = None

    @property
    def affinity_aware(self) -> bool:
        """Whether the op implements the affinity op interface."""
        return self.affinity_attrs is not None

    # Derived from the above (fields, not properties: the traversals read them per use).
    # CallOpInterface: operand i is the callee's argument i, result i what it returns.
    is_call: bool = field(init=False, compare=False)
    # FunctionOpInterface (callable): entry arguments come from the call sites.
    is_function: bool = field(init=False, compare=False)
    # BranchOpInterface: each successor's operand group flows to its block arguments.
    is_branch: bool = field(init=False, compare=False)
    # Any control-flow interface: `operand_targets` can be non-empty.
    has_flows: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        derived = {"is_call": self.role == Role.CALL, "is_function": self.role == Role.FUNCTION,
                   "is_branch": self.role == Role.BRANCH}
        derived["has_flows"] = derived["is_call"] or derived["is_branch"] \
            or self.region_branch is not None or self.terminator is not None
        if self.role in (Role.FUNCTION, Role.MODULE, Role.OBJECT):
            derived["isolated_from_above"] = True
        for name, value in derived.items():
            object.__setattr__(self, name, value)


UNKNOWN = OpInfo()


def _async_transfer_affinity(op: Operation) -> str | None:
    """stream.async.transfer (seed rule): staging ends take the other side's affinity."""
    src = op.attr("source_affinity") or op.attr("from")
    dst = op.attr("target_affinity") or op.attr("to")
    src_staging = bool(op.operands) and "<staging>" in op.operands[0].type
    dst_staging = bool(op.results) and "<staging>" in op.results[0].type
    if src_staging and dst_staging:
        return src
    if src_staging:
        return dst
    if dst_staging:
        return src
    return dst


# Attribute kinds that implement the stream affinity attribute interface.
AFFINITY_ATTRIBUTES = ("#hal.device.promise<", "#hal.device.affinity<", "#hal.device.optimal<")

# ------------------------------------------------------------------ interface rows
# scf.for: operands lb, ub, step, then the inits, which enter the body's arguments after the
# induction variable (and are the results if the loop runs zero times); the body's yield goes
# back to those arguments and to the results.
SCF_FOR = RegionBranch(entry_from=3, entry=(Inputs(0, 1), RESULTS),
                       exits=((RESULTS, Inputs(0, 1)),))
# scf.while: the inits enter the before region; its scf.condition forwards (after the i1) to
# the results and to the after region, whose yield goes back to the before region.
SCF_WHILE = RegionBranch(entry_from=0, entry=(Inputs(0),),
                         exits=((RESULTS, Inputs(1)), (Inputs(0),)))
# scf.if: operand 0 is the i1 and nothing is forwarded on entry; each region's yield is the
# results.
SCF_IF = RegionBranch(entry=(Inputs(0), Inputs(1)), exits=((RESULTS,), (RESULTS,)))
# Region-branch ops whose flows are not modelled (spec Q20).
UNMODELLED = RegionBranch()

RETURN_LIKE = Terminator(return_like=True)  # util.return, func.return, scf.yield
CONDITION = Terminator(forwards_from=1)  # scf.condition: operand 0 is the i1

_FLOW = ("stream.affinity",)  # the affinity attribute of flow ops (and arith.constant, ...)
_ON = ("affinity", "on")  # the affinity attribute of stream ops (`on(#x)` in custom syntax)


# An affinity-aware flow op (its affinity is the `stream.affinity` attribute).
_flow = partial(OpInfo, affinity_attrs=_FLOW)
# An affinity-aware stream op (spec 1.1: the stream affinity-op trait, `on(...)`).
_stream = partial(OpInfo, affinity_attrs=_ON)

TABLE: dict[str, OpInfo] = {
    # --- flow -------------------------------------------------------------------------
    "flow.tensor.transfer": OpInfo(affinity_attrs=("target", "to")),
    "flow.dispatch.region": _flow(),
    "flow.return": OpInfo(),
    "flow.dispatch.workgroups": _flow(ties=Ties.SYNTAX, isolated_from_above=True),
    "flow.dispatch": _flow(ties=Ties.SYNTAX),
    "flow.call": _flow(role=Role.CALL, ties=Ties.SYNTAX),
    "flow.tensor.constant": _flow(constant_like=True),
    "flow.tensor.dynamic_constant": _flow(),
    "flow.tensor.alloca": _flow(),
    "flow.tensor.empty": _flow(),
    "flow.tensor.splat": _flow(),
    "flow.tensor.clone": _flow(clone=True),
    "flow.tensor.slice": _flow(),
    "flow.tensor.update": _flow(ties=Ties.FIRST),
    "flow.channel.default": _flow(),
    "flow.collective.all_gather": _flow(),
    "flow.collective.all_reduce": _flow(),
    "flow.collective.all_to_all": _flow(),
    "flow.collective.reduce_scatter": _flow(),
    "flow.collective.send_recv": _flow(),
    "flow.tensor.reshape": OpInfo(ties=Ties.FIRST),
    "flow.tensor.bitcast": OpInfo(ties=Ties.FIRST),
    "flow.tensor.load": OpInfo(),
    "flow.tensor.store": OpInfo(),
    "flow.executable": OpInfo(role=Role.OBJECT, defines_symbol=True),
    # --- hal --------------------------------------------------------------------------
    "hal.tensor.import": OpInfo(affinity_attrs=_ON, requires_affinity=False, pins=True),
    "hal.tensor.export": OpInfo(affinity_attrs=_ON, requires_affinity=False, pins=True),
    "hal.tensor.alias": OpInfo(affinity_attrs=_ON, requires_affinity=False, pins=True,
                               ties=Ties.FIRST),
    "hal.tensor.barrier": OpInfo(ties=Ties.PAIRWISE),
    "hal.dispatch.extern": OpInfo(ties=Ties.SYNTAX),
    "hal.executable": OpInfo(role=Role.OBJECT, defines_symbol=True),
    # --- util -------------------------------------------------------------------------
    "util.global": OpInfo(role=Role.GLOBAL, affinity_attrs=_FLOW, requires_affinity="tensor",
                          defines_symbol=True),
    "util.global.load": OpInfo(role=Role.GLOBAL_LOAD),
    "util.global.store": OpInfo(role=Role.GLOBAL_STORE),
    "util.global.address": OpInfo(role=Role.GLOBAL_ADDRESS),
    "util.func": OpInfo(role=Role.FUNCTION, affinity_attrs=_FLOW, requires_affinity=False,
                        defines_symbol=True),
    "util.initializer": OpInfo(role=Role.FUNCTION, affinity_attrs=_FLOW, requires_affinity=False,
                               initializer=True),
    "util.call": OpInfo(role=Role.CALL, ties=Ties.SYNTAX),
    "util.return": OpInfo(role=Role.RETURN, terminator=RETURN_LIKE, returns_to_call_sites=True),
    "util.optimization_barrier": OpInfo(role=Role.OPT_BARRIER),
    "util.null": OpInfo(constant_like=True),
    # --- func / builtin ---------------------------------------------------------------
    "func.func": OpInfo(role=Role.FUNCTION, defines_symbol=True),
    "func.call": OpInfo(role=Role.CALL),
    "func.return": OpInfo(role=Role.RETURN, terminator=RETURN_LIKE),
    "builtin.module": OpInfo(role=Role.MODULE),
    # --- arith ------------------------------------------------------------------------
    "arith.constant": _flow(requires_affinity="tensor", constant_like=True),
    "arith.select": OpInfo(role=Role.SELECT),
    # --- cf / scf ---------------------------------------------------------------------
    "cf.br": OpInfo(role=Role.BRANCH),
    "cf.cond_br": OpInfo(role=Role.BRANCH),
    "cf.switch": OpInfo(role=Role.BRANCH),
    "scf.for": OpInfo(role=Role.SCF_FOR, region_branch=SCF_FOR),
    "scf.while": OpInfo(role=Role.SCF_WHILE, region_branch=SCF_WHILE),
    "scf.if": OpInfo(role=Role.SCF_IF, region_branch=SCF_IF),
    "scf.yield": OpInfo(role=Role.YIELD, terminator=RETURN_LIKE),
    "scf.condition": OpInfo(role=Role.CONDITION, terminator=CONDITION),
    "scf.execute_region": OpInfo(role=Role.REGION_BRANCH, region_branch=UNMODELLED),
    "scf.forall": OpInfo(role=Role.REGION_BRANCH, region_branch=UNMODELLED),
    "scf.parallel": OpInfo(role=Role.REGION_BRANCH, region_branch=UNMODELLED),
    "scf.index_switch": OpInfo(role=Role.REGION_BRANCH, region_branch=UNMODELLED),
    # --- stream -----------------------------------------------------------------------
    # Ops with `_stream(...)` declare the stream affinity-op trait (spec 1.1).
    "stream.context.resolve": _stream(),
    "stream.resource.alloc": _stream(),
    "stream.resource.alloca": _stream(),
    "stream.resource.dealloca": _stream(),
    "stream.resource.try_map": _stream(),
    "stream.resource.pack": _stream(),
    "stream.resource.constants": _stream(),
    "stream.resource.size": _stream(),
    "stream.resource.load": OpInfo(),
    "stream.resource.store": OpInfo(),
    "stream.resource.subview": OpInfo(),
    "stream.parameter.load": _stream(),
    "stream.parameter.read": _stream(),
    "stream.parameter.write": _stream(),
    "stream.parameter.gather": _stream(),
    "stream.parameter.scatter": _stream(),
    "stream.file.constant": _stream(),
    "stream.file.read": _stream(),
    "stream.file.write": _stream(),
    "stream.tensor.import": _stream(ties=Ties.FIRST),
    "stream.tensor.export": _stream(ties=Ties.FIRST),
    "stream.tensor.empty": _stream(),
    "stream.tensor.constant": _stream(encoding=EncodingRole.CONSTANT),
    "stream.tensor.splat": _stream(),
    "stream.tensor.clone": _stream(),
    "stream.tensor.encode": _stream(encoding=EncodingRole.ENCODE),
    "stream.tensor.slice": _stream(),
    "stream.tensor.fill": _stream(ties=Ties.FIRST),
    "stream.tensor.update": _stream(ties=Ties.FIRST),
    "stream.tensor.dispatch": _stream(ties=Ties.SYNTAX, encoding=EncodingRole.DISPATCH),
    "stream.tensor.sizeof": _stream(encoding=EncodingRole.SIZEOF),
    "stream.tensor.load": OpInfo(),
    "stream.tensor.store": OpInfo(),
    "stream.tensor.trace": OpInfo(),
    "stream.async.alloca": _stream(),
    "stream.async.constant": _stream(),
    "stream.async.splat": _stream(),
    "stream.async.clone": _stream(encoding=EncodingRole.CLONE, clone=True),
    "stream.async.slice": _stream(),
    "stream.async.fill": _stream(ties=Ties.FIRST),
    "stream.async.update": _stream(ties=Ties.FIRST),
    "stream.async.copy": _stream(ties=Ties.FIRST),
    "stream.async.collective": _stream(ties=Ties.FIRST),
    "stream.async.barrier": _stream(ties=Ties.FIRST),
    "stream.async.dispatch": _stream(ties=Ties.SYNTAX),
    "stream.async.call": _stream(role=Role.CALL, ties=Ties.SYNTAX),
    "stream.async.execute": _stream(ties=Ties.SYNTAX),
    "stream.async.concurrent": _stream(ties=Ties.SYNTAX),
    "stream.async.transfer": OpInfo(affinity_attrs=("target_affinity", "to"),
                                    affinity_hook=_async_transfer_affinity),
    "stream.async.load": OpInfo(),
    "stream.async.store": OpInfo(),
    "stream.async.cast": OpInfo(),
    "stream.async.func": OpInfo(role=Role.FUNCTION, defines_symbol=True),
    "stream.cmd.execute": _stream(),
    "stream.cmd.call": OpInfo(role=Role.CALL),
    "stream.cmd.func": OpInfo(role=Role.FUNCTION, defines_symbol=True),
    "stream.cmd.dispatch": OpInfo(),
    "stream.cmd.collective": OpInfo(),
    "stream.cmd.fill": OpInfo(),
    "stream.cmd.copy": OpInfo(),
    "stream.cmd.discard": OpInfo(),
    "stream.cmd.flush": OpInfo(),
    "stream.cmd.invalidate": OpInfo(),
    "stream.cmd.concurrent": OpInfo(),
    "stream.cmd.serial": OpInfo(),
    "stream.timepoint.import": _stream(),
    "stream.timepoint.export": _stream(),
    "stream.timepoint.chain_external": _stream(),
    "stream.timepoint.barrier": _stream(ties=Ties.FIRST),
    "stream.timepoint.await": OpInfo(),
    "stream.timepoint.join": OpInfo(),
    "stream.timepoint.immediate": OpInfo(constant_like=True),
    "stream.channel.create": _stream(),
    "stream.channel.count": OpInfo(),
    "stream.channel.rank": OpInfo(),
    "stream.channel.split": OpInfo(),
    "stream.binding.subspan": OpInfo(encoding=EncodingRole.BINDING),
    "stream.executable": OpInfo(role=Role.OBJECT, defines_symbol=True, ignored_by_explorer=True,
                                encoding=EncodingRole.EXECUTABLE),
    "stream.yield": OpInfo(role=Role.REGION_TERMINATOR, terminator=Terminator()),
    "stream.return": OpInfo(),
}

# Ops whose name the printer may abbreviate: `module` is `builtin.module`, `return`
# inside func.func is `func.return` (and `call` is `func.call`), `func` is not abbreviated.
ALIASES: dict[str, str] = {"module": "builtin.module", "return": "func.return",
                           "call": "func.call"}

# The dialect an op's regions resolve unprefixed op names in (MLIR's `getDefaultDialect`): at
# the top level and in a `builtin.module` `builtin` (so `module` is `builtin.module`), in a
# `func.func` `func` (`return`, `call`), and none in any other op's regions.
DEFAULT_DIALECTS: dict[str, str] = {"builtin.module": "builtin", "func.func": "func"}


# ------------------------------------------------------------------ queries
def info(op: Operation | str) -> OpInfo:
    """The table row of an op (or op name); unknown ops get the conservative default."""
    if isinstance(op, str):
        return TABLE.get(op, UNKNOWN)
    row: OpInfo | None = op.row
    if row is None:
        row = TABLE.get(op.name, UNKNOWN)
        op.row = row
    return row


# The custom form drops the dialect prefix of these ops directly inside these parents (MLIR's
# default dialect of a func.func body): full name -> (printed name, parent op).
SHORT_NAMES: dict[str, tuple[str, str]] = {"func.return": ("return", "func.func")}


def printed_name(op: Operation) -> str:
    """The name an op's custom form prints (`return` inside func.func, else the full name)."""
    entry = SHORT_NAMES.get(op.name)
    parent = op.parent_op
    if entry is not None and parent is not None and parent.name == entry[1]:
        return entry[0]
    return op.name


def canonical_name(name: str) -> str:
    """The full op name for a name as printed (`module` -> `builtin.module`)."""
    return ALIASES.get(name, name)


def tied_operand(op: Operation, result_index: int) -> int | None:
    """The operand index that result `result_index` of `op` is tied to, if any."""
    ties = info(op).ties
    if ties == Ties.SYNTAX:
        return op.tied.get(result_index)
    if ties == Ties.FIRST:
        return 0 if result_index == 0 and op.operands else None
    if ties == Ties.PAIRWISE:
        return result_index if result_index < len(op.operands) else None
    return None


def tied_results(op: Operation, operand_index: int) -> list[int]:
    """The result indices of `op` tied to operand `operand_index`."""
    if info(op).ties == Ties.NONE:
        return []
    return [r for r in range(len(op.results)) if tied_operand(op, r) == operand_index]


def callee_symbol(op: Operation) -> str | None:
    """The `@symbol` a call op calls (its first symbol), None for other ops or indirect calls."""
    if not info(op).is_call or not op.symbols:
        return None
    return op.symbols[0]


def entry_block(op: Operation, region_index: int) -> Block | None:
    """The entry block of region `region_index` of `op`, if it has one."""
    if region_index < len(op.regions) and op.regions[region_index].blocks:
        return op.regions[region_index].blocks[0]
    return None


def _inputs(op: Operation, where: Inputs) -> list[Value]:
    """The values `where` names on region-branch op `op` (results or entry-block arguments)."""
    if where.region is None:
        return list(op.results)
    block = entry_block(op, where.region)
    return list(block.arguments[where.first:]) if block is not None else []


def entry_successor_inputs(op: Operation) -> list[list[Value]]:
    """The inputs of each successor of region-branch op `op` on entry (no region-branch: [])."""
    spec = info(op).region_branch
    return [_inputs(op, where) for where in spec.entry] if spec is not None else []


def _exit_of(term: Operation) -> tuple[Operation, int, RegionBranch] | None:
    """(parent, region index, parent's spec) when `term` ends a block of a modelled
    region-branch op's region."""
    block = term.parent
    if block is None or block.terminator is not term or block.parent is None:
        return None
    parent = block.parent.parent
    if parent is None:
        return None
    spec = info(parent).region_branch
    if spec is None or spec.exits is None:
        return None
    region = parent.regions.index(block.parent)
    return (parent, region, spec) if region < len(spec.exits) else None


def exit_successor_inputs(term: Operation) -> list[list[Value]]:
    """The inputs of each successor of a region terminator (its parent's `exits` for its
    region); [] when `term` does not end a region of a modelled region-branch op."""
    found = _exit_of(term)
    if found is None:
        return []
    parent, region, spec = found
    assert spec.exits is not None
    return [_inputs(parent, where) for where in spec.exits[region]]


def forwarded_operands(term: Operation) -> list[Value]:
    """The operands a region terminator forwards to its successors (scf.condition: all but
    the i1); every operand for ops that are not region terminators."""
    t = info(term).terminator
    return term.operands[t.forwards_from:] if t is not None else list(term.operands)


def successor_operands(branch: Operation, successor: int) -> list[Value]:
    """The operands branch op `branch` forwards to its successor number `successor`."""
    if not info(branch).is_branch or successor >= len(branch.successor_operands):
        return []
    first, count = branch.successor_operands[successor]
    return branch.operands[first:first + count]


def _at(lists: list[list[Value]], k: int) -> list[Value]:
    return [inputs[k] for inputs in lists if 0 <= k < len(inputs)]


def operand_targets(op: Operation, i: int) -> list[Flow]:
    """Where operand `i` of `op` flows by the op's control-flow interfaces (ties excluded):
    region entry arguments or results of a region-branch op, its parent's successors for a
    region terminator, successor block arguments for a branch, the callee's argument for a
    call, and every call site's result for a function's return-like terminator."""
    row = info(op)
    out: list[Flow] = []
    if not row.has_flows:
        return out
    spec = row.region_branch
    if spec is not None and spec.entry_from is not None:
        out.extend(_at(entry_successor_inputs(op), i - spec.entry_from))
    if row.terminator is not None:
        found = _exit_of(op)
        k = i - row.terminator.forwards_from
        if found is not None:
            out.extend(_at(exit_successor_inputs(op), k))
        elif row.terminator.return_like and k >= 0:
            func = op.parent_op
            if func is not None and info(func).is_function:
                out.append(CallFlow(Across.CALLER_RESULT, func, k))
    if row.is_branch:
        for succ, (first, count) in zip(op.successors, op.successor_operands, strict=False):
            if first <= i < first + count:
                out.extend(_at([list(succ.arguments)], i - first))
    if row.is_call:
        out.append(CallFlow(Across.CALLEE_ARG, op, i))
    return out


def block_arg_sources(arg: BlockArgument) -> list[Flow] | None:
    """The operands that flow into block argument `arg` (the inverse of `operand_targets`).

    None when `arg` is an entry argument of an op whose flows the table does not know (a
    region-branch op that is not modelled, or any other op with regions).
    """
    block, i = arg.owner, arg.index
    region = block.parent
    out: list[Flow] = []
    if region is None:
        return out
    parent = region.parent
    if parent is not None and block.is_entry():
        row = info(parent)
        spec = row.region_branch
        if row.is_function:
            out.append(CallFlow(Across.CALLER_OPERAND, parent, i))
        elif spec is None or spec.exits is None:
            return None
        else:
            r = parent.regions.index(region)
            if spec.entry_from is not None:
                for where in spec.entry:
                    if where.region == r and i >= where.first:
                        k = spec.entry_from + i - where.first
                        if k < len(parent.operands):
                            out.append(parent.operands[k])
            for src, exits in enumerate(spec.exits):
                for where in exits:
                    if where.region == r and i >= where.first and src < len(parent.regions):
                        for pred in parent.regions[src].blocks:
                            term = pred.terminator
                            if term is not None:
                                out.extend(_at([forwarded_operands(term)], i - where.first))
    for pred in region.blocks:
        branch = pred.terminator
        if branch is None or not branch.successors:
            continue
        for j, succ in enumerate(branch.successors):
            if succ is block:
                out.extend(_at([successor_operands(branch, j)], i))
    return out


def result_sources(r: OpResult) -> list[Flow]:
    """The operands that flow into result `r` by the owner's interfaces (ties excluded): what
    the regions' terminators forward to the results of a region-branch op, what the callee
    returns for a call."""
    op, i = r.owner, r.index
    row = info(op)
    out: list[Flow] = []
    spec = row.region_branch
    if spec is not None and spec.exits is not None:
        for region, exits in zip(op.regions, spec.exits, strict=False):
            if any(where.region is None for where in exits):
                for block in region.blocks:
                    term = block.terminator
                    if term is not None:
                        out.extend(_at([forwarded_operands(term)], i))
    if row.is_call:
        out.append(CallFlow(Across.CALLEE_RETURN, op, i))
    return out


def value_sources(v: Value) -> list[Flow] | None:
    """Which operands flow into `v` (a block argument or an op result); None when unknown."""
    from placement.ir.core import BlockArgument, OpResult

    if isinstance(v, BlockArgument):
        return block_arg_sources(v)
    assert isinstance(v, OpResult)
    return result_sources(v)


# ==============================================================================

# Syntax: one declarative format per op (ODS-like), from which the parser and the IR printer
# derive (`placement.ir.format`). Transcribed from IREE's `*Ops.td` assemblyFormat strings and
# custom directives, and from what iree-opt prints for MLIR's own ops. Declarations list the
# operands/results in ODS order (`?` optional, `*` variadic); attrs are `name:kind`.
# =====================================================================================

from placement.ir.format import OpSyntax as _S  # noqa: E402

_AFF = "(`on` `(` $affinity^ `)`)?"
_SIZE = "`` `{` "
_BIN = _S("$lhs `,` $rhs attr-dict `:` type($result)", "lhs rhs", "result")
_CAST = _S("$in attr-dict `:` type($in) `to` type($out)", "in", "out")
_UNARY = _S("$operand attr-dict `:` type($result)", "operand", "result")
_CMP = _S("$predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs)", "lhs rhs", "result",
          "predicate:keyword", infer=(("result", "=i1"),))
_RETURN = _S("attr-dict ($operands^ `:` type($operands))?", "operands*")
_FUNC = _S("custom<SymbolVisibility>($sym_visibility) $sym_name "
           "custom<FunctionSignature>($function_type, $body) attr-dict-with-keyword ($body^)?",
           "", "", "sym_visibility sym_name:symname function_type", "body", isolated=True)
_EXECUTABLE = _S("custom<SymbolVisibility>($sym_visibility) $sym_name attr-dict-with-keyword "
                 "$body", "", "", "sym_visibility sym_name:symname", "body", isolated=True,
                 skim=True)
_EXPORT = _S("custom<SymbolVisibility>($sym_visibility) "
             "custom<SymbolAlias>($sym_name, $function_ref) "
             "custom<WorkgroupCountRegion>($workgroup_count) attr-dict-with-keyword", "", "",
             "sym_visibility sym_name:symname function_ref:symref", "workgroup_count")

FORMATS: dict[str, _S] = {
    # --- builtin / func ---------------------------------------------------------------
    "builtin.module": _S("($sym_name^)? attr-dict-with-keyword $bodyRegion", "", "",
                         "sym_name:symname", "bodyRegion", isolated=True),
    "func.func": _FUNC,
    "func.return": _RETURN,
    "func.call": _S("$callee `(` $operands `)` attr-dict `:` functional-type($operands, "
                    "$results)", "operands*", "results*", "callee:symref"),
    # --- util -------------------------------------------------------------------------
    "util.func": _FUNC,
    "util.initializer": _S("attr-dict-with-keyword $body", "", "", "", "body", isolated=True),
    "util.return": _RETURN,
    "util.global": _S("custom<SymbolVisibility>($sym_visibility) (`mutable` $is_mutable^)? "
                      "$sym_name attr-dict custom<TypeOrAttr>($type, $initial_value)", "", "",
                      "sym_visibility is_mutable:unit sym_name:symname type:type "
                      "initial_value:typed"),
    "util.global.load": _S("(`immutable` $is_immutable^)? $global attr-dict `:` "
                           "type($result)", "", "result", "is_immutable:unit global:symref"),
    "util.global.store": _S("$value `,` $global attr-dict `:` type($value)", "value", "",
                            "global:symref"),
    "util.global.address": _S("(`immutable` $is_immutable^)? $global attr-dict `:` "
                              "type($result)", "", "result", "is_immutable:unit global:symref"),
    "util.call": _S("$callee `(` $operands `)` attr-dict `:` "
                    "custom<TiedFunctionResults>($operands, $results)", "operands*", "results*",
                    "callee:symref"),
    "util.optimization_barrier": _S("attr-dict ($operands^ `:` type($operands))?",
                                    "operands*", "results*", infer=(("results", "operands"),)),
    "util.null": _S("attr-dict `:` type($result)", "", "result"),
    # --- arith / math -----------------------------------------------------------------
    "arith.constant": _S("attr-dict $value", "", "result", "value:typed",
                         infer=(("result", "@value"),)),
    **{f"arith.{n}": _BIN for n in ("addi", "subi", "muli", "divsi", "divui", "remsi", "remui",
                                     "andi", "ori", "xori", "addf", "subf", "mulf", "divf",
                                     "maximumf", "minimumf", "maxsi", "minsi", "maxui",
                                     "minui")},
    **{f"arith.{n}": _CAST for n in ("index_cast", "index_castui", "sitofp", "uitofp",
                                      "fptosi", "fptoui", "extsi", "extui", "trunci", "extf",
                                      "truncf", "bitcast")},
    "arith.cmpi": _CMP,
    "arith.cmpf": _CMP,
    "arith.select": _S("$condition `,` $true_value `,` $false_value attr-dict `:` "
                       "custom<SelectTypes>($condition, $result)",
                       "condition true_value false_value", "result"),
    "math.tanh": _UNARY,
    "math.exp": _UNARY,
    # --- cf / scf ---------------------------------------------------------------------
    "cf.br": _S("$dest (`(` $destOperands^ `:` type($destOperands) `)`)? attr-dict",
                "destOperands*", "", successors="dest:destOperands"),
    "cf.cond_br": _S("$condition `,` $trueDest (`(` $trueDestOperands^ `:` "
                     "type($trueDestOperands) `)`)? `,` $falseDest (`(` $falseDestOperands^ `:` "
                     "type($falseDestOperands) `)`)? attr-dict",
                     "condition trueDestOperands* falseDestOperands*", "",
                     successors="trueDest:trueDestOperands falseDest:falseDestOperands",
                     segments=True),
    "cf.switch": _S("$flag `:` type($flag) `,` `[` custom<SwitchCases>($defaultOperands, "
                    "$case_values, $caseOperands) `]` attr-dict",
                    "flag defaultOperands* caseOperands*", "", "case_values", segments=True),
    "scf.for": _S("custom<ScfFor>($lowerBound, $upperBound, $step, $initArgs, $results, "
                  "$region) attr-dict", "lowerBound upperBound step initArgs*", "results*",
                  regions="region"),
    "scf.if": _S("$condition (`->` custom<ResultTypes>(type($results)))? $thenRegion "
                 "(`else` $elseRegion^)? attr-dict", "condition", "results*",
                 regions="thenRegion elseRegion"),
    "scf.while": _S("custom<ScfWhile>($inits, $results, $before, $after) "
                    "attr-dict-with-keyword", "inits*", "results*", regions="before after"),
    "scf.execute_region": _S("(`->` custom<ResultTypes>(type($results))^)? "
                             "(`no_inline` $no_inline^)? $region attr-dict", "", "results*",
                             "no_inline:unit", "region"),
    "scf.condition": _S("`(` $condition `)` attr-dict ($args^ `:` type($args))?",
                        "condition args*"),
    "scf.yield": _S("attr-dict ($results^ `:` type($results))?", "results*"),
    # --- flow -------------------------------------------------------------------------
    "flow.executable": _EXECUTABLE,
    "flow.executable.export": _EXPORT,
    "flow.dispatch": _S("custom<DispatchEntryPoints>($entry_points) (`[` $workload^ `]`)? `` "
                        "`(` $arguments `)` attr-dict `:` custom<ShapedFunctionType>("
                        "ref($arguments), type($arguments), $argument_dims, type($results), "
                        "$result_dims, $tied_operands)",
                        "workload* arguments* argument_dims* result_dims*", "results*",
                        "entry_points tied_operands"),
    "flow.dispatch.workgroups": _S(
        "(`[` $workload^ `]`)? `` `(` $arguments `)` `:` custom<ShapedFunctionType>("
        "ref($arguments), type($arguments), $argument_dims, type($results), $result_dims, "
        "$tied_operands) attr-dict-with-keyword `=` custom<DispatchWorkgroupBody>("
        "ref(type($arguments)), ref(type($results)), $workgroup_body) `` "
        "custom<DispatchWorkgroupsCountRegion>($workgroup_count)",
        "workload* arguments* argument_dims* result_dims*", "results*", "tied_operands",
        "workgroup_body workgroup_count", isolated=True, skim=True),
    "flow.dispatch.region": _S("(`[` $workload^ `]`)? `->` custom<ShapedResults>("
                               "type($result), $result_dims) attr-dict-with-keyword $body "
                               "custom<CountRegion>($workgroup_count)",
                               "result_dims* workload*", "result*",
                               regions="body workgroup_count"),
    "flow.return": _RETURN,
    "flow.tensor.constant": _S("attr-dict $value", "", "result", "value:typed",
                               infer=(("result", "@value"),)),
    "flow.tensor.reshape": _S("$source `:` type($source) (`{` $source_dims^ `}`)? `->` "
                              "type($result) (`{` $result_dims^ `}`)? attr-dict-with-keyword",
                              "source source_dims* result_dims*", "result"),
    "flow.tensor.bitcast": _S("$source `:` type($source) (`{` $source_dims^ `}`)? `->` "
                              "type($result) (`{` $result_dims^ `}`)? attr-dict-with-keyword",
                              "source source_dims* result_dims*", "result"),
    "flow.tensor.load": _S("$source (`[` $indices^ `]`)? `:` type($source) "
                           "(`{` $source_dims^ `}`)? attr-dict-with-keyword",
                           "source source_dims* indices*", "result",
                           infer=(("result", "%source"),)),
    "flow.tensor.splat": _S("$value `:` type($result) (`{` $result_dims^ `}`)? "
                            "attr-dict-with-keyword", "value result_dims*", "result"),
    "flow.tensor.clone": _S("$operand `:` type($result) (`{` $operand_dims^ `}`)? "
                            "attr-dict-with-keyword", "operand operand_dims*", "result"),
    "flow.tensor.transfer": _S("$operand `:` type($result) (`{` $operand_dims^ `}`)? `to` "
                               "$target attr-dict-with-keyword", "operand operand_dims*",
                               "result", "target"),
    "flow.tensor.barrier": _S("$operand `:` type($result) (`{` $operand_dims^ `}`)? `on` "
                              "$target attr-dict-with-keyword", "operand operand_dims*",
                              "result", "target"),
    # --- hal --------------------------------------------------------------------------
    "hal.tensor.import": _S(_AFF + " (`wait` `(` $wait_fence^ `)` `=` `` `>`)? "
                            "(`consume` $consume^)? $source (`offset` `(` $byte_offset^ `)`)? "
                            "($name^)? `:` type($source) `->` custom<TypeAlias>("
                            "$target_encoding, type($target)) (`{` $target_dims^ `}`)? "
                            "attr-dict",
                            "source target_dims* wait_fence? byte_offset?", "target",
                            "affinity consume:unit name:str target_encoding:type"),
    "hal.tensor.export": _S(_AFF + " $source ($name^)? `:` custom<TypeAlias>("
                            "$source_encoding, type($source)) (`{` $source_dims^ `}`)? `->` "
                            "type($target) attr-dict", "source source_dims*", "target",
                            "affinity name:str source_encoding:type"),
    "hal.tensor.alias": _S(_AFF + " (`wait` `(` $wait_fence^ `)` `=` `` `>`)? $source `:` "
                           "type($source) (`{` $source_dims^ `}`)? `to` $storage `:` "
                           "type($storage) attr-dict",
                           "source source_dims* storage wait_fence?", "result", "affinity",
                           infer=(("result", "source"),)),
    "hal.tensor.barrier": _S("`join` `` `(` $sources `:` type($sources) `)` `=` `` `>` "
                             "$signal_fence `:` type($signal_fence) attr-dict-with-keyword",
                             "sources* signal_fence", "results*",
                             infer=(("results", "sources"),)),
    "hal.element_type": _S("`<` $type `>` attr-dict `:` type($result)", "", "result",
                           "type:type"),
    "hal.encoding_type": _S("`<` ($encoding^):(`` `dense_row_major`)? `>` attr-dict `:` "
                            "type($result)", "", "result", "encoding"),
    "hal.buffer_view.assert": _S("`<` $buffer_view `:` type($buffer_view) `>` `message` `(` "
                                 "$message `)` `shape` `(` `[` $shape `]` `)` `type` `(` "
                                 "$element_type `)` `encoding` `(` $encoding_type `)` "
                                 "attr-dict-with-keyword",
                                 "buffer_view element_type encoding_type shape*", "",
                                 "message:str"),
    "hal.buffer_view.dim": _S("`<` $buffer_view `:` type($buffer_view) `>` `` `[` $index `]` "
                              "`:` type($result) attr-dict-with-keyword", "buffer_view",
                              "result", "index"),
    "hal.fence.signal": _S("`<` $fence `:` type($fence) `>` attr-dict-with-keyword", "fence"),
    "hal.device.query": _S("`<` $device `:` type($device) `>` `key` `(` $category `:` `` `:` "
                           "$key `)` `:` type($ok) `,` type($value) (`=` $default_value^)? "
                           "attr-dict-with-keyword", "device", "ok value",
                           "category:str key:str default_value:typed"),
    "hal.command_buffer.execution_barrier": _S(
        "`<` $command_buffer `:` type($command_buffer) `>` `source` `(` $source_stage_mask "
        "`)` `target` `(` $target_stage_mask `)` `flags` `(` $flags `)` attr-dict-with-keyword",
        "command_buffer", "", "source_stage_mask target_stage_mask flags"),
    "hal.executable": _EXECUTABLE,
    # --- stream -----------------------------------------------------------------------
    "stream.executable": _EXECUTABLE,
    "stream.executable.export": _EXPORT,
    "stream.binding.subspan": _S("$binding `` `[` $byte_offset `]` attr-dict `:` "
                                 "type($binding) `->` type($result) (`{` $dynamic_dims^ `}`)?",
                                 "binding byte_offset dynamic_dims*", "result"),
    "stream.return": _S("attr-dict $operands `:` type($operands)", "operands*"),
    "stream.yield": _S("attr-dict ($resource_operands^ `:` custom<ShapedTypeList>("
                       "type($resource_operands), $resource_operand_sizes))?",
                       "resource_operands* resource_operand_sizes*"),
    "stream.resource.size": _S("$operand attr-dict `:` type($operand)", "operand", "result",
                               "affinity", infer=(("result", "=index"),)),
    "stream.resource.alloca": _S("`uninitialized` (`indeterminate` $indeterminate_lifetime^)? "
                                 + _AFF + " (`await` `(` $await_timepoint^ `)` `=` `` `>`):"
                                 "(`:`)? attr-dict type($result) `{` $storage_size `}` `=` `` "
                                 "`>` type($result_timepoint)",
                                 "storage_size await_timepoint?", "result result_timepoint",
                                 "indeterminate_lifetime:unit affinity"),
    "stream.resource.dealloca": _S("(`origin` $prefer_origin^)? " + _AFF + " (`await` `(` "
                                   "$await_timepoint^ `)` `=` `` `>`)? $operand `:` "
                                   "type($operand) `{` $operand_size `}` `=` `` `>` "
                                   "type($result_timepoint) attr-dict",
                                   "operand operand_size await_timepoint?", "result_timepoint",
                                   "prefer_origin:unit affinity"),
    "stream.resource.pack": _S(_AFF + " (`offset` `(` $offset^ `)`)? `slices` `(` `{` "
                               "custom<PackSliceRanges>($lifetime_intervals, "
                               "$dynamic_slice_sizes, type($packed_offsets)) `}` `)` `:` "
                               "type($total_length) attr-dict-with-keyword",
                               "offset? dynamic_slice_sizes*", "total_length packed_offsets*",
                               "affinity lifetime_intervals"),
    "stream.resource.constants": _S(_AFF + " attr-dict `:` custom<ConstantValueList>("
                                    "type($results), $result_sizes, $values) `=` `` `>` "
                                    "type($result_timepoint)", "result_sizes*",
                                    "results* result_timepoint", "affinity values"),
    "stream.tensor.import": _S(_AFF + " (`consume` $consume^)? $source `:` type($source) `->` "
                               "$result_encoding (`` `{` $result_encoding_dims^ `}`)? `in` "
                               "type($result) `{` $result_size `}` attr-dict-with-keyword",
                               "source result_encoding_dims* result_size", "result",
                               "affinity consume:unit result_encoding:type"),
    "stream.tensor.export": _S(_AFF + " $source `:` $source_encoding (`` `{` "
                               "$source_encoding_dims^ `}`)? `in` type($source) `` `{` "
                               "$source_size `}` `->` type($result) attr-dict-with-keyword",
                               "source source_encoding_dims* source_size", "result",
                               "affinity source_encoding:type"),
    "stream.tensor.sizeof": _S(_AFF + " $encoding (`{` $encoding_dims^ `}`)? attr-dict `:` "
                               "type($storage_size)", "encoding_dims*", "storage_size",
                               "affinity encoding:type"),
    "stream.tensor.constant": _S(_AFF + " `:` $result_encoding (`` `{` $result_encoding_dims^ "
                                 "`}`)? `in` type($result) `=` $value attr-dict-with-keyword",
                                 "result_encoding_dims*", "result",
                                 "affinity result_encoding:type value:typed"),
    "stream.tensor.encode": _S(_AFF + " $source `:` $source_encoding (`` `{` "
                               "$source_encoding_dims^ `}`)? `in` type($source) `` `{` "
                               "$source_size `}` `->` $result_encoding (`` `{` "
                               "$result_encoding_dims^ `}`)? `in` type($result) `` `{` "
                               "$result_size `}` attr-dict-with-keyword",
                               "source source_encoding_dims* source_size "
                               "result_encoding_dims* result_size", "result",
                               "affinity source_encoding:type result_encoding:type"),
    "stream.tensor.dispatch": _S(_AFF + " custom<DispatchEntryPoints>($entry_points) "
                                 "(`[` $workload^ `]`)? `` `(` $mixed_operands `)` attr-dict "
                                 "`:` custom<EncodedShapedFunctionType>(ref($mixed_operands), "
                                 "type($mixed_operands), $operand_sizes, $operand_encodings, "
                                 "$operand_encoding_dims, type($results), $result_sizes, "
                                 "$result_encodings, $result_encoding_dims, $tied_operands)",
                                 "workload* mixed_operands* operand_sizes* "
                                 "operand_encoding_dims* result_sizes* result_encoding_dims*",
                                 "results*", "affinity entry_points operand_encodings "
                                 "result_encodings tied_operands"),
    "stream.async.alloca": _S(_AFF + " attr-dict `:` type($result) `{` $storage_size `}`",
                              "storage_size", "result", "affinity"),
    "stream.async.splat": _S(_AFF + " (`await` `(` $await_timepoint^ `)`)? $value `:` "
                             "type($value) `->` type($result) `` `{` $result_size `}` "
                             "attr-dict-with-keyword", "await_timepoint? value result_size",
                             "result", "affinity"),
    "stream.async.clone": _S(_AFF + " $source `:` type($source) `` `{` $source_size `}` `->` "
                             "type($result) `` `{` $result_size `}` attr-dict-with-keyword",
                             "source source_size result_size", "result", "affinity"),
    "stream.async.slice": _S(_AFF + " $source `[` $source_offset `to` $source_end `]` `:` "
                             "type($source) `` `{` $source_size `}` `->` type($result) `` `{` "
                             "$result_size `}` attr-dict-with-keyword",
                             "source source_size source_offset source_end result_size",
                             "result", "affinity"),
    "stream.async.fill": _S(_AFF + " $value `,` $target `[` $target_offset `to` $target_end "
                            "`for` $target_length `]` `:` type($value) `->` "
                            "custom<ShapedTiedResult>(type($target), $target_size) "
                            "attr-dict-with-keyword",
                            "target target_size target_offset target_end target_length value",
                            "result", "affinity", infer=(("result", "target"),)),
    "stream.async.update": _S(_AFF + " $update `,` $target `[` $target_offset `to` "
                              "$target_end `]` `:` type($update) `` `{` $update_size `}` `->` "
                              "custom<ShapedTiedResult>(type($target), $target_size) "
                              "attr-dict-with-keyword",
                              "target target_size target_offset target_end update update_size",
                              "result", "affinity", infer=(("result", "target"),)),
    "stream.async.copy": _S(_AFF + " $source `[` $source_offset `to` $source_end `]` `,` "
                            "$target `[` $target_offset `to` $target_end `]` `,` $length `:` "
                            "type($source) `` `{` $source_size `}` `->` "
                            "custom<ShapedTiedResult>(type($target), $target_size) "
                            "attr-dict-with-keyword",
                            "target target_size target_offset target_end source source_size "
                            "source_offset source_end length", "result", "affinity",
                            infer=(("result", "target"),)),
    "stream.async.collective": _S("$op `[` $element_count `]` " + _AFF + " `channel` `(` "
                                  "$channel `)` custom<CollectiveParam>(ref($op), $param) "
                                  "$source `[` $source_offset `to` $source_end `for` "
                                  "$source_length `]` `,` $target `[` $target_offset `to` "
                                  "$target_end `for` $target_length `]` `:` type($source) `` "
                                  "`{` $source_size `}` `->` custom<ShapedTiedResult>("
                                  "type($target), $target_size) attr-dict-with-keyword",
                                  "target target_size target_offset target_end target_length "
                                  "source source_size source_offset source_end source_length "
                                  "element_count channel param?", "result",
                                  "op:angle affinity", infer=(("result", "target"),)),
    "stream.async.transfer": _S("(`on` `(` $execution_affinity^ `)`)? $source `:` "
                                "type($source) `` `{` $source_size `}` (`from` `(` "
                                "$source_affinity^ `)`)? `->` (`to` `(` $target_affinity^ "
                                "`)`)? type($result) `` `{` $result_size `}` "
                                "attr-dict-with-keyword", "source source_size result_size",
                                "result",
                                "execution_affinity source_affinity target_affinity"),
    "stream.async.cast": _S(_AFF + " $source `:` type($source) `{` $source_size `}` `->` "
                            "type($result) `{` $result_size `}` attr-dict",
                            "source source_size result_size", "result", "affinity"),
    "stream.async.func": _FUNC,
    "stream.cmd.func": _FUNC,
    "stream.async.call": _S(_AFF + " $callee `` custom<DispatchOperands>($resource_operands, "
                            "$resource_operand_offsets, $resource_operand_ends, "
                            "$resource_operand_lengths) attr-dict `:` "
                            "custom<ShapedFunctionType>(ref($resource_operands), "
                            "type($resource_operands), $resource_operand_sizes, "
                            "type($results), $result_sizes, $tied_operands)",
                            "resource_operands* resource_operand_sizes* "
                            "resource_operand_offsets* resource_operand_ends* "
                            "resource_operand_lengths* result_sizes*", "results*",
                            "affinity callee:symref tied_operands"),
    "stream.async.execute": _S(_AFF + " (`await` `(` $await_timepoint^ `)` `=` `` `>`)? "
                               "`with` `` custom<ResourceRegion>($resource_operands, "
                               "type($resource_operands), $resource_operand_sizes, "
                               "type($results), $result_sizes, $tied_operands, $body) `=` `` "
                               "`>` type($result_timepoint) attr-dict-with-keyword",
                               "resource_operands* resource_operand_sizes* result_sizes* "
                               "await_timepoint?", "results* result_timepoint",
                               "affinity tied_operands", "body"),
    "stream.cmd.execute": _S("(`once` $once^)? " + _AFF + " (`await` `(` $await_timepoint^ "
                             "`)` `=` `` `>`)? `with` `` custom<ExplicitResourceRegion>("
                             "$resource_operands, type($resource_operands), "
                             "$resource_operand_sizes, $body) `=` `` `>` "
                             "type($result_timepoint) attr-dict-with-keyword",
                             "resource_operands* resource_operand_sizes* await_timepoint?",
                             "result_timepoint", "once:unit affinity", "body"),
    "stream.cmd.dispatch": _S("custom<DispatchEntryPoints>($entry_points) (`[` $workload^ "
                              "`]`)? `` (`(` $uniform_operands^ `:` type($uniform_operands) "
                              "`)`)? `{` custom<DispatchResources>($resources, "
                              "type($resources), $resource_sizes, $resource_offsets, "
                              "$resource_lengths, $resource_accesses) `}` "
                              "attr-dict-with-keyword",
                              "workload* uniform_operands* resources* resource_sizes* "
                              "resource_offsets* resource_lengths*", "",
                              "entry_points resource_accesses"),
    "stream.timepoint.immediate": _S("attr-dict `=` `` `>` type($result_timepoint)", "",
                                     "result_timepoint"),
    "stream.timepoint.join": _S("`max` `(` $await_timepoints `)` `=` `` `>` "
                                "type($result_timepoint) attr-dict-with-keyword",
                                "await_timepoints*", "result_timepoint"),
    "stream.timepoint.await": _S("(`sync` $sync^)? $await_timepoint `=` `` `>` "
                                 "$resource_operands `:` custom<ShapedTypeList>("
                                 "type($resource_operands), type($results), "
                                 "$resource_operand_sizes) attr-dict-with-keyword",
                                 "resource_operands* resource_operand_sizes* await_timepoint",
                                 "results*", "sync:unit"),
    # --- executable bodies (the ops the unify golden and stream corpus executables use) ----
    "iree_tensor_ext.dispatch.tensor.load": _S(
        "$source `,` `offsets` `=` custom<DynamicIndexList>($offsets, $static_offsets) `,` "
        "`sizes` `=` custom<DynamicIndexList>($sizes, $static_sizes) `,` `strides` `=` "
        "custom<DynamicIndexList>($strides, $static_strides) attr-dict `:` type($source) "
        "(`{` $source_dims^ `}`)? `->` type($result)",
        "source source_dims* offsets* sizes* strides*", "result",
        "static_offsets static_sizes static_strides"),
    "iree_tensor_ext.dispatch.tensor.store": _S(
        "$value `,` $target `,` `offsets` `=` custom<DynamicIndexList>($offsets, "
        "$static_offsets) `,` `sizes` `=` custom<DynamicIndexList>($sizes, $static_sizes) `,` "
        "`strides` `=` custom<DynamicIndexList>($strides, $static_strides) attr-dict `:` "
        "type($value) `->` type($target) (`{` $target_dims^ `}`)?",
        "value target target_dims* offsets* sizes* strides*", "",
        "static_offsets static_sizes static_strides"),
    "iree_tensor_ext.dispatch.workgroup_count_from_slice": _S(
        "`(` $operands `)` attr-dict", "operands*", "x y z",
        infer=(("x", "=index"), ("y", "=index"), ("z", "=index"))),
    "iree_tensor_ext.dispatch.workload.ordinal": _S(
        "attr-dict $operand `,` $ordinal `:` type($operand)", "operand", "result", "ordinal",
        infer=(("result", "=index"),)),
    "iree_encoding.set_encoding": _S("attr-dict $source (`encoding_dims` `{` $encoding_dims^ "
                                     "`}`)? `:` type($source) `->` type($result)",
                                     "source encoding_dims*", "result"),
    "iree_encoding.unset_encoding": _S("attr-dict $source (`encoding_dims` `{` "
                                       "$encoding_dims^ `}`)? `:` type($source) `->` "
                                       "type($result) (`` `{` $result_dims^ `}`)?",
                                       "source result_dims* encoding_dims*", "result"),
    "tensor.empty": _S("`(` $dynamicSizes `)` attr-dict `:` type($result)", "dynamicSizes*",
                       "result"),
    "linalg.fill": _S("attr-dict custom<InsOuts>($inputs, $outputs) (`->` "
                      "type($result_tensors)^)?", "inputs* outputs*", "result_tensors*"),
    "linalg.matmul": _S("attr-dict custom<InsOuts>($inputs, $outputs) (`->` "
                        "type($result_tensors)^)?", "inputs* outputs*", "result_tensors*"),
    "linalg.generic": _S("attr-dict custom<GenericBody>($inputs, $outputs, $region) (`->` "
                         "type($result_tensors)^)?", "inputs* outputs*", "result_tensors*",
                         regions="region"),
    "linalg.yield": _S("$values attr-dict (`:` type($values)^)?", "values*"),
}

# The types the custom parsers resolve operands with where the format writes no `type($x)`
# (`OpSyntax.operand_types`), transcribed from the ODS declarations: `Index` dims, sizes, offsets
# and workloads (FLOW_Dim, Stream_Size, Stream_Offset, Stream_Dim, IREETensorExt dims:
# `TypeAlias<Index>`), `I1` conditions, timepoints and fences, and `AllTypesMatch` /
# `SameOperandsAndResultType` / `SameTypeOperands` / `TypesMatchWith` relations.
_TP = "=!stream.timepoint"


def _index(groups: str) -> tuple[tuple[str, str], ...]:
    return tuple((g, "=index") for g in groups.split())


OPERAND_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    **{f"arith.{n}": (("lhs", "result"), ("rhs", "result")) for n in (
        "addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "andi", "ori", "xori",
        "addf", "subf", "mulf", "divf", "maximumf", "minimumf", "maxsi", "minsi", "maxui",
        "minui")},
    "arith.cmpi": (("rhs", "lhs"),),
    "arith.cmpf": (("rhs", "lhs"),),
    "math.tanh": (("operand", "result"),),
    "math.exp": (("operand", "result"),),
    "cf.cond_br": (("condition", "=i1"),),
    "scf.if": (("condition", "=i1"),),
    "scf.condition": (("condition", "=i1"),),
    "tensor.empty": _index("dynamicSizes"),
    "flow.dispatch": _index("workload argument_dims result_dims"),
    "flow.dispatch.workgroups": _index("workload argument_dims result_dims"),
    "flow.tensor.reshape": _index("source_dims result_dims"),
    "flow.tensor.bitcast": _index("source_dims result_dims"),
    "flow.tensor.load": _index("source_dims indices"),
    "flow.tensor.splat": (("value", "%result"), *_index("result_dims")),
    "flow.tensor.clone": (("operand", "result"), *_index("operand_dims")),
    "flow.tensor.transfer": (("operand", "result"), *_index("operand_dims")),
    "flow.tensor.barrier": (("operand", "result"), *_index("operand_dims")),
    "hal.tensor.import": (("wait_fence", "=!hal.fence"), *_index("target_dims byte_offset")),
    "hal.tensor.export": _index("source_dims"),
    "hal.tensor.alias": (("wait_fence", "=!hal.fence"), *_index("source_dims")),
    "stream.binding.subspan": _index("byte_offset dynamic_dims"),
    "stream.yield": _index("resource_operand_sizes"),
    "stream.resource.alloca": (("await_timepoint", _TP), *_index("storage_size")),
    "stream.resource.dealloca": (("await_timepoint", _TP), *_index("operand_size")),
    "stream.resource.pack": _index("offset dynamic_slice_sizes"),
    "stream.resource.constants": _index("result_sizes"),
    "stream.tensor.import": _index("result_encoding_dims result_size"),
    "stream.tensor.export": _index("source_encoding_dims source_size"),
    "stream.tensor.sizeof": _index("encoding_dims"),
    "stream.tensor.constant": _index("result_encoding_dims"),
    "stream.tensor.encode": _index("source_encoding_dims source_size result_encoding_dims "
                                   "result_size"),
    "stream.tensor.dispatch": _index("workload operand_sizes operand_encoding_dims "
                                     "result_sizes result_encoding_dims"),
    "stream.async.alloca": _index("storage_size"),
    "stream.async.splat": (("await_timepoint", _TP), *_index("result_size")),
    "stream.async.clone": _index("source_size result_size"),
    "stream.async.slice": _index("source_size source_offset source_end result_size"),
    "stream.async.fill": _index("target_size target_offset target_end target_length"),
    "stream.async.update": _index("target_size target_offset target_end update_size"),
    "stream.async.copy": _index("target_size target_offset target_end source_size "
                                "source_offset source_end length"),
    "stream.async.collective": _index("target_size target_offset target_end target_length "
                                      "source_size source_offset source_end source_length "
                                      "element_count"),
    "stream.async.transfer": _index("source_size result_size"),
    "stream.async.cast": _index("source_size result_size"),
    "stream.async.call": _index("resource_operand_sizes resource_operand_offsets "
                                "resource_operand_ends resource_operand_lengths result_sizes"),
    "stream.async.execute": (("await_timepoint", _TP),
                             *_index("resource_operand_sizes result_sizes")),
    "stream.cmd.execute": (("await_timepoint", _TP), *_index("resource_operand_sizes")),
    "stream.cmd.dispatch": _index("workload resource_sizes resource_offsets resource_lengths"),
    "stream.timepoint.join": (("await_timepoints", _TP),),
    "stream.timepoint.await": (("await_timepoint", _TP), *_index("resource_operand_sizes")),
    "iree_tensor_ext.dispatch.tensor.load": _index("source_dims offsets sizes strides"),
    "iree_tensor_ext.dispatch.tensor.store": _index("target_dims offsets sizes strides"),
}
FORMATS.update({name: replace(FORMATS[name], operand_types=rules)
                for name, rules in OPERAND_TYPES.items()})

# The ops of the table that are MLIR terminators (`IsTerminator`): the last op of every block of
# a function body must be one (functions have no implicit terminator), else iree-opt's
# `block with no terminator`.
TERMINATORS = frozenset((
    "cf.br", "cf.cond_br", "cf.switch", "flow.return", "func.return", "linalg.yield",
    "scf.condition", "scf.yield", "stream.return", "stream.yield", "util.return"))


def may_end_block(op: Operation) -> bool:
    """Whether `op` may be the last op of a function body's block: a terminator
    (`TERMINATORS`), or an op neither the table nor the formats know (not judged)."""
    return op.name in TERMINATORS or (info(op) is UNKNOWN and op.name not in FORMATS)

# Dialect attributes (`#dialect.mnemonic`, `#dialect.mnemonic<...>`): the mnemonics each dialect
# registers in iree-opt 3.13, and iree-opt's message for any other one (located at the
# mnemonic). Candidates are the names in IREE's Dialect/{HAL,Stream,Flow,Util,Encoding,
# TensorExt}/IR sources; kept are those iree-opt 3.13 does not call unknown
# (tests/test_parser_fuzz_classes.py re-checks every one live). Other dialects are not checked.
_ATTR_UNKNOWN = "unknown attribute `{name}` in dialect `{dialect}`"
DIALECT_ATTRIBUTES: dict[str, tuple[str, frozenset[str]]] = {
    "hal": ("unknown HAL attribute: {name}", frozenset(("abi.convention", "collective",
        "descriptor_type", "device.affinity", "device.alias", "device.fallback", "device.link",
        "device.optimal", "device.ordinal", "device.promise", "device.select", "device.target",
        "device.topology", "executable.object", "executable.objects", "executable.target",
        "pipeline.binding", "pipeline.layout",))),
    "stream": (_ATTR_UNKNOWN, frozenset(("collective", "parameter.named", "partitioning_config",
        "resource_config", "timepoint",))),
    "flow": (_ATTR_UNKNOWN, frozenset(("dummy", "parameter.named",))),
    "util": (_ATTR_UNKNOWN, frozenset(("byte_pattern", "byte_range", "composite", "inline.always",
        "inline.never", "int.assumption", "int.assumption.array", "int.assumption.multi_array",
        "null", "preprocessing_pipeline", "uninitialized",))),
    "iree_encoding": (_ATTR_UNKNOWN, frozenset(("encoding", "identity", "identity_resolver",
        "layout", "optype", "packed_storage", "padding", "specialization_resolver", "specialized",
        "testing", "unknown", "unsupported_resolver",))),
    "iree_tensor_ext": (_ATTR_UNKNOWN, frozenset(("ragged_shape", "sparse_iteration_dims",))),
}

# What each listed attribute must start its parameters with when it has them (default `<`,
# iree-opt's message `expected '<'` right after the name), and those that may be written
# without parameters (iree-opt 3.13 accepts them bare).
DIALECT_ATTRIBUTE_OPENERS: dict[str, str] = {
    "hal.device.link": "expected '('",
    "util.int.assumption.array": "expected '['",
    "util.int.assumption.multi_array": "expected '['",
    "iree_encoding.optype": "expected valid keyword or string",
}
DIALECT_BARE_ATTRIBUTES = frozenset((
    "flow.dummy", "iree_encoding.identity", "iree_encoding.identity_resolver",
    "iree_encoding.packed_storage", "iree_encoding.unknown", "iree_encoding.unsupported_resolver",
    "util.inline.always", "util.inline.never", "util.null", "util.uninitialized"))

# Dialect attributes whose body the parser checks, by grammar (`placement.ir.parser`):
# `symbol_queues` is `<@device (, [queue, ...])?>` (HAL's DeviceAffinityAttr and
# DevicePromiseAttr parsers).
DIALECT_ATTRIBUTE_BODIES: dict[str, str] = {
    "hal.device.affinity": "symbol_queues",
    "hal.device.promise": "symbol_queues",
}


_SYNTAX_CACHE: dict[str, object] = {}


def syntax_of(name: str):  # type: ignore[no-untyped-def]
    """The compiled format of op `name` (None: the op has no custom form here)."""
    found = _SYNTAX_CACHE.get(name, _SYNTAX_CACHE)
    if found is _SYNTAX_CACHE:
        row = FORMATS.get(name)
        found = None
        if row is not None:
            from placement.ir.format import compile_syntax
            from placement.ir.format_custom import CUSTOM

            found = compile_syntax(name, row, CUSTOM)
        _SYNTAX_CACHE[name] = found
    return found


# --- IREE 3.13 profile (spec section 10.1) --------------------------------------------------
# Rows that differ under `--semantics iree-3.13`; every other op keeps its seed row above.
# `pins` of the ops in IREE313_PINS_WITH holds only when one of the named attributes is set
# (10.1#3 HAL ops, #4 stream.tensor.import/export, #5 flow.tensor.barrier).


def _async_transfer_affinity_313(op: Operation) -> str | None:
    """stream.async.transfer in 3.13: `on(...)` if given, else derived from the lifetimes:
    staging->staging and external/staging results run on the source, staging/external sources
    on the target, and everything else on the source (PR #24748)."""
    explicit = op.attr("execution_affinity") or op.attr("on")
    if explicit is not None:
        return explicit
    src = op.attr("source_affinity") or op.attr("from")
    dst = op.attr("target_affinity") or op.attr("result_affinity") or op.attr("to")
    src_type = op.operands[0].type if op.operands else ""
    dst_type = op.results[0].type if op.results else ""
    src_staging, dst_staging = "<staging>" in src_type, "<staging>" in dst_type
    if src_staging and dst_staging:
        return src
    if src_staging or "<external>" in src_type:
        return dst
    return src


def transfer_result_affinity(op: Operation) -> str | None:
    """`getResultAffinityAttr` of stream.async.transfer (its `to(...)` target)."""
    return op.attr("target_affinity") or op.attr("result_affinity") or op.attr("to")


# Tied results of these ops also read the op's execution when it has its own affinity
# (canTieResultToExplicitOpAffinity).
IREE313_TIED_EXPLICIT = ("stream.async.dispatch",)
# Region-branch ops of the stream dialect in 3.13: their entry block's argument i is entry
# operand i, the i-th affinity-typed (resource) operand (`with(%x as %arg: ...)`), and their
# `stream.yield` operands are their results.
IREE313_ENTRY_OPERAND_OPS = ("stream.async.execute", "stream.async.concurrent")
# The 3.13 differences of each op's row, as field -> value over its seed row (no seed row: the
# default row `UNKNOWN`).
IREE313_OVERRIDES: dict[str, dict[str, Any]] = {
    "flow.tensor.barrier": {"affinity_attrs": ("target", "on"), "ties": Ties.FIRST},  # 10.1#5
    "stream.async.transfer": {"affinity_hook": _async_transfer_affinity_313},  # PR #24748
    "stream.async.cast": {"affinity_attrs": _ON, "ties": Ties.FIRST},
    "stream.resource.size": {"affinity_attrs": None},
    **{name: {"role": Role.REGION_BRANCH, "region_branch": UNMODELLED}
       for name in IREE313_ENTRY_OPERAND_OPS},
}
# The IREE 3.13 rows of the ops that differ: each seed row with its overrides.
IREE313_ROWS: dict[str, OpInfo] = {name: replace(TABLE.get(name, UNKNOWN), **fields)
                                   for name, fields in IREE313_OVERRIDES.items()}
IREE313_PINS_WITH: dict[str, tuple[str, ...]] = {
    "hal.tensor.import": ("affinity", "on"),
    "hal.tensor.export": ("affinity", "on"),
    "hal.tensor.alias": ("affinity", "on"),
    "stream.tensor.import": ("affinity", "on"),
    "stream.tensor.export": ("affinity", "on"),
    "flow.tensor.barrier": ("target", "on"),
}
# Ops whose consumer rule unions their `getResultAffinityAttr` (10.1#7).
IREE313_RESULT_AFFINITY: dict[str, Callable[[Operation], str | None]] = {
    "stream.async.transfer": transfer_result_affinity,
}
# Region terminators whose operand i feeds result i of the parent (10.1#7: stream.yield).
IREE313_YIELDS_TO_PARENT = ("stream.yield",)


def info_iree313(op: Operation) -> OpInfo:
    """The IREE 3.13 row of an op: the seed row with the 10.1 differences applied."""
    row = IREE313_ROWS.get(op.name) or TABLE.get(op.name, UNKNOWN)
    pins_with = IREE313_PINS_WITH.get(op.name)
    if pins_with is not None:
        row = replace(row, pins=any(op.attr(a) is not None for a in pins_with))
    return row


# The ops the IR transforms build (placement/transform/replicate.py), by name.
BUILD_GLOBAL = "util.global"
BUILD_INITIALIZER = "util.initializer"
BUILD_GLOBAL_LOAD = "util.global.load"
BUILD_GLOBAL_STORE = "util.global.store"
BUILD_TRANSFER = "flow.tensor.transfer"
BUILD_RETURN = "util.return"
