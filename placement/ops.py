"""The op table: everything the project knows about particular ops, in one place.

Engines, the parser and the printer ask this table; they never test op names themselves.
Adding an op means adding a row. An op with no row is parsed structurally and treated
conservatively: not affinity-aware, not tied, not pinning, no region-branch rules, and its
affinity-typed operands and results are still annotated.

The rows follow `../shared/spec/affinity-analysis.md` sections 1.1-1.3 (the seed's semantics).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from placement.ir.core import Operation


class Role(StrEnum):
    """What an op is, for the traversals and the element rules."""

    NONE = "none"
    CALL = "call"  # CallOpInterface with the callee as the first @symbol
    RETURN = "return"  # return-like terminator of a function
    YIELD = "yield"  # scf.yield: return-like terminator of a region-branch op
    CONDITION = "condition"  # scf.condition
    REGION_TERMINATOR = "region_terminator"  # other terminators that end a region (stream.yield)
    BRANCH = "branch"  # cf.br / cf.cond_br
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


class AttrPlace(StrEnum):
    """Where a custom syntax puts its attribute dictionary when the op has none in the source."""

    AFTER_NAME = "after_name"  # op {attrs} operands ...
    AFTER_FIRST_GROUP = "after_first_group"  # scf.condition(%c) {attrs} ...
    BEFORE_COLON = "before_colon"  # op operands {attrs} : types   (also before '=' of util.global)
    AFTER_COLON = "after_colon"  # op operands : {attrs} types  (or `=> {attrs} types`)
    END = "end"  # op ... {attrs}
    END_KEYWORD = "end_keyword"  # op ... attributes {attrs}
    BEFORE_REGION = "before_region"  # op ... attributes {attrs} {region}  (END_KEYWORD if none)
    GENERIC = "generic"  # custom syntax has no safe place: print the op in generic form


class ResultTypes(StrEnum):
    """How a custom syntax spells its result types."""

    SIGNATURE = "signature"  # after the last top-level '->', else the last N after ':'
    LIKE_OPERANDS = "like_operands"  # one result per operand but the last, of its type
                                      # (hal.tensor.barrier: results mirror the sources)
    NOT_AFFINITY = "not_affinity"  # scalar/index results whatever the trailing type says
    SAME_AS_OPERANDS = "same_as_operands"  # one result per operand, of its type, named or not
                                            # (util.optimization_barrier)


class Ties(StrEnum):
    """Which results alias (are tied to) which operands."""

    NONE = "none"
    SYNTAX = "syntax"  # `-> %operand` in the signature names the tied operand
    FIRST = "first"  # result 0 <-> operand 0
    PAIRWISE = "pairwise"  # result i <-> operand i


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
    attr_place: AttrPlace = AttrPlace.BEFORE_COLON
    result_types: ResultTypes = ResultTypes.SIGNATURE
    # Typed `(%x: type)` groups of the custom syntax define the entry block's arguments.
    signature_args: bool = False
    # util.return: its operands' consumers include the results of the function's call sites.
    returns_to_call_sites: bool = False
    # Computes the explicit affinity attribute text for ops whose rule is not one attribute.
    affinity_hook: Callable[[Operation], str | None] | None = field(default=None, compare=False)
    # The type after the op's last top-level ':' is its declared `type` (util.global).
    declares_type: bool = False
    # The first top-level type of the custom syntax is this attribute (sizeof's `encoding`).
    leading_type_attr: str | None = None
    # Properties (name -> text) of the op's generic form, for ops printed generically.
    generic_properties: Callable[[Operation], dict[str, str]] | None = field(
        default=None, compare=False)
    # The op's part in the unified-encodings pass.
    encoding: EncodingRole = EncodingRole.NONE
    # util.initializer: runs once at load time (initializer sites weigh `init`, not `runtime`).
    initializer: bool = False
    # The op defines a symbol: its first `@name` is its own name, not a use.
    defines_symbol: bool = False
    # Invisible to the explorer's traversals (spec 1.3: IGNORE action).
    ignored_by_explorer: bool = False
    # Operand groups introduced by these keywords (`wait(%f)`) come last in operand order.
    trailing_operand_keywords: tuple[str, ...] = ()
    # The op's top-level `{...}` lists operand entries (`{ro %r[%o for %l] : type{%s}, ...}`),
    # it is not a region.
    braced_operands: bool = False
    # Reorders the operands parsed in source order into ODS operand order.
    reorder_operands: Callable[[Operation, list[int]], list[int]] | None = field(
        default=None, compare=False)

    @property
    def affinity_aware(self) -> bool:
        """Whether the op implements the affinity op interface."""
        return self.affinity_attrs is not None


UNKNOWN = OpInfo()

_FLOW_AWARE = OpInfo(affinity_attrs=("stream.affinity",))
_STREAM_AWARE = OpInfo(affinity_attrs=("affinity", "on"))


def _flow_update_order(op: Operation, order: list[int]) -> list[int]:
    """flow.tensor.update prints `update, target[indices]`; ODS order is target first."""
    if len(order) >= 2:
        return [order[1], *order[2:], order[0]]
    return order


def _value_last(op: Operation, order: list[int]) -> list[int]:
    """`%value, %target[...]` (fill, store) and `%tp => %resources` (timepoint.await): ODS
    order puts the leading operand last."""
    return [*order[1:], order[0]] if order else order


def _fill_order(op: Operation, order: list[int]) -> list[int]:
    """`%value, %target[%offset ...] : T -> T{%size}`: ODS order is target, target size,
    offsets/lengths, value."""
    if len(order) < 3:
        return order
    return [order[1], order[-1], *order[2:-1], order[0]]


def _update_target_first(op: Operation, order: list[int]) -> list[int]:
    """`%update, %target[...]`: ODS order is target (size, offsets) then update (size)."""
    if op.name == "stream.async.update" and len(order) == 6:
        return [order[i] for i in (1, 5, 2, 3, 0, 4)]
    return [order[1], order[0], *order[2:]] if len(order) >= 2 else order


def _async_copy_order(op: Operation, order: list[int]) -> list[int]:
    """`%src[%o to %e], %tgt[%o to %e], %len : T{%ss} -> %tgt as T{%ts}`: ODS order is target,
    target size, offset, end, source, source size, offset, end, length."""
    if len(order) != 9:
        return order
    return [order[i] for i in (3, 8, 4, 5, 0, 7, 1, 2, 6)]


def _collective_order(op: Operation, order: list[int]) -> list[int]:
    """`[%count] channel(%c) [source(%p)] %src[o to e for l], %tgt[o to e for l] : T{%ss} ->
    %tgt as T{%ts}`: ODS order is target (size, offset, end, length), source (same), count,
    channel, param."""
    p = len(order) - 10
    if p < 2:
        return order
    tail = (p + 4, p + 9, p + 5, p + 6, p + 7, p, p + 8, p + 1, p + 2, p + 3)
    return [order[i] for i in tail] + order[:p]


def _async_transfer_affinity(op: Operation) -> str | None:
    """stream.async.transfer (seed rule): staging ends take the other side's affinity."""
    src = op.attr("source_affinity") or op.attr("from")
    dst = op.attr("result_affinity") or op.attr("to")
    src_staging = bool(op.operands) and "<staging>" in op.operands[0].type
    dst_staging = bool(op.results) and "<staging>" in op.results[0].type
    if src_staging and dst_staging:
        return src
    if src_staging:
        return dst
    if dst_staging:
        return src
    return dst


def _hal_import_properties(op: Operation) -> dict[str, str]:
    """hal.tensor.import: source, target dims, wait fence; affinity, name, target encoding."""
    props: dict[str, str] = {}
    if op.attr("on") is not None:
        props["affinity"] = op.attr("on") or ""
    if op.syntax.strings:
        props["name"] = op.syntax.strings[0]
    fence = 1 if any(v.type == "!hal.fence" for v in op.operands[1:]) else 0
    dims = len(op.operands) - 1 - fence
    props["operandSegmentSizes"] = f"array<i32: 1, {dims}, {fence}, 0>"
    props["target_encoding"] = op.results[0].type if op.results else ""
    return props


def _stream_sizeof_properties(op: Operation) -> dict[str, str]:
    """stream.tensor.sizeof: affinity and the encoding type it sizes."""
    props: dict[str, str] = {}
    if op.attr("on") is not None:
        props["affinity"] = op.attr("on") or ""
    props["encoding"] = op.syntax_attrs.get("encoding", "")
    return props


# Attribute kinds that implement the stream affinity attribute interface.
AFFINITY_ATTRIBUTES = ("#hal.device.promise<", "#hal.device.affinity<", "#hal.device.optimal<")

TABLE: dict[str, OpInfo] = {
    # --- flow -------------------------------------------------------------------------
    "flow.tensor.transfer": OpInfo(affinity_attrs=("target", "to"),
                                   attr_place=AttrPlace.END_KEYWORD),
    "flow.dispatch.region": replace(_FLOW_AWARE, attr_place=AttrPlace.BEFORE_REGION),
    "flow.return": OpInfo(attr_place=AttrPlace.AFTER_NAME),
    "flow.dispatch.workgroups": OpInfo(affinity_attrs=("stream.affinity",), ties=Ties.SYNTAX,
                                       signature_args=True),
    "flow.dispatch": OpInfo(affinity_attrs=("stream.affinity",), ties=Ties.SYNTAX),
    "flow.call": OpInfo(role=Role.CALL, affinity_attrs=("stream.affinity",), ties=Ties.SYNTAX),
    "flow.tensor.constant": OpInfo(affinity_attrs=("stream.affinity",), constant_like=True,
                                   attr_place=AttrPlace.AFTER_NAME),
    "flow.tensor.dynamic_constant": OpInfo(affinity_attrs=("stream.affinity",),
                                           attr_place=AttrPlace.AFTER_NAME),
    "flow.tensor.alloca": OpInfo(affinity_attrs=("stream.affinity",),
                                 attr_place=AttrPlace.END_KEYWORD),
    "flow.tensor.empty": OpInfo(affinity_attrs=("stream.affinity",),
                                attr_place=AttrPlace.END_KEYWORD),
    "flow.tensor.splat": OpInfo(affinity_attrs=("stream.affinity",),
                                attr_place=AttrPlace.END_KEYWORD),
    "flow.tensor.clone": OpInfo(affinity_attrs=("stream.affinity",),
                                attr_place=AttrPlace.END_KEYWORD),
    "flow.tensor.slice": OpInfo(affinity_attrs=("stream.affinity",),
                                attr_place=AttrPlace.END_KEYWORD),
    "flow.tensor.update": OpInfo(affinity_attrs=("stream.affinity",), ties=Ties.FIRST,
                                 attr_place=AttrPlace.END_KEYWORD,
                                 reorder_operands=_flow_update_order),
    "flow.channel.default": _FLOW_AWARE,
    "flow.collective.all_gather": _FLOW_AWARE,
    "flow.collective.all_reduce": _FLOW_AWARE,
    "flow.collective.all_to_all": _FLOW_AWARE,
    "flow.collective.reduce_scatter": _FLOW_AWARE,
    "flow.collective.send_recv": _FLOW_AWARE,
    "flow.tensor.reshape": OpInfo(ties=Ties.FIRST, attr_place=AttrPlace.END_KEYWORD),
    "flow.tensor.bitcast": OpInfo(ties=Ties.FIRST, attr_place=AttrPlace.END_KEYWORD),
    "flow.tensor.load": OpInfo(attr_place=AttrPlace.END_KEYWORD,
                               result_types=ResultTypes.NOT_AFFINITY),
    "flow.tensor.store": OpInfo(attr_place=AttrPlace.END_KEYWORD),
    "flow.executable": OpInfo(role=Role.OBJECT, defines_symbol=True),
    # --- hal --------------------------------------------------------------------------
    "hal.tensor.import": OpInfo(affinity_attrs=("affinity", "on"), requires_affinity=False,
                                pins=True, attr_place=AttrPlace.GENERIC,
                                trailing_operand_keywords=("wait",),
                                generic_properties=_hal_import_properties),
    "hal.tensor.export": OpInfo(affinity_attrs=("affinity", "on"), requires_affinity=False,
                                pins=True, attr_place=AttrPlace.END),
    "hal.tensor.alias": OpInfo(affinity_attrs=("affinity", "on"), requires_affinity=False,
                               pins=True, ties=Ties.FIRST, attr_place=AttrPlace.END,
                               trailing_operand_keywords=("wait",)),
    "hal.tensor.barrier": OpInfo(ties=Ties.PAIRWISE, attr_place=AttrPlace.END_KEYWORD,
                                 result_types=ResultTypes.LIKE_OPERANDS),
    "hal.dispatch.extern": OpInfo(ties=Ties.SYNTAX),
    "hal.executable": OpInfo(role=Role.OBJECT, defines_symbol=True),
    # --- util -------------------------------------------------------------------------
    "util.global": OpInfo(role=Role.GLOBAL, affinity_attrs=("stream.affinity",),
                          requires_affinity="tensor", defines_symbol=True,
                          declares_type=True),
    "util.global.load": OpInfo(role=Role.GLOBAL_LOAD),
    "util.global.store": OpInfo(role=Role.GLOBAL_STORE),
    "util.global.address": OpInfo(role=Role.GLOBAL_ADDRESS),
    "util.func": OpInfo(role=Role.FUNCTION, affinity_attrs=("stream.affinity",),
                        requires_affinity=False, signature_args=True, defines_symbol=True,
                        attr_place=AttrPlace.BEFORE_REGION),
    "util.initializer": OpInfo(role=Role.FUNCTION, affinity_attrs=("stream.affinity",),
                               requires_affinity=False, attr_place=AttrPlace.BEFORE_REGION),
    "util.call": OpInfo(role=Role.CALL, ties=Ties.SYNTAX),
    "util.return": OpInfo(role=Role.RETURN, attr_place=AttrPlace.AFTER_NAME,
                          returns_to_call_sites=True),
    "util.optimization_barrier": OpInfo(role=Role.OPT_BARRIER, attr_place=AttrPlace.AFTER_NAME,
                                        result_types=ResultTypes.SAME_AS_OPERANDS),
    "util.null": OpInfo(constant_like=True),
    # --- func / builtin ---------------------------------------------------------------
    "func.func": OpInfo(role=Role.FUNCTION, signature_args=True, defines_symbol=True,
                        attr_place=AttrPlace.BEFORE_REGION),
    "func.call": OpInfo(role=Role.CALL),
    "func.return": OpInfo(role=Role.RETURN, attr_place=AttrPlace.AFTER_NAME),
    "builtin.module": OpInfo(role=Role.MODULE, attr_place=AttrPlace.BEFORE_REGION),
    # --- arith ------------------------------------------------------------------------
    "arith.constant": OpInfo(affinity_attrs=("stream.affinity",), requires_affinity="tensor",
                             constant_like=True, attr_place=AttrPlace.AFTER_NAME),
    "arith.select": OpInfo(role=Role.SELECT),
    # --- cf / scf ---------------------------------------------------------------------
    "cf.br": OpInfo(role=Role.BRANCH, attr_place=AttrPlace.END),
    "cf.cond_br": OpInfo(role=Role.BRANCH, attr_place=AttrPlace.END),
    "scf.for": OpInfo(role=Role.SCF_FOR, attr_place=AttrPlace.END),
    "scf.while": OpInfo(role=Role.SCF_WHILE, attr_place=AttrPlace.END_KEYWORD),
    "scf.if": OpInfo(role=Role.SCF_IF, attr_place=AttrPlace.END),
    "scf.yield": OpInfo(role=Role.YIELD, attr_place=AttrPlace.AFTER_NAME),
    "scf.condition": OpInfo(role=Role.CONDITION, attr_place=AttrPlace.AFTER_FIRST_GROUP),
    "cf.switch": OpInfo(attr_place=AttrPlace.END),
    "scf.execute_region": OpInfo(role=Role.REGION_BRANCH),
    "scf.forall": OpInfo(role=Role.REGION_BRANCH),
    "scf.parallel": OpInfo(role=Role.REGION_BRANCH),
    "scf.index_switch": OpInfo(role=Role.REGION_BRANCH),
    # --- stream -------------------------------------------------------------------------
    "stream.executable": OpInfo(role=Role.OBJECT, defines_symbol=True, ignored_by_explorer=True),
    "stream.yield": OpInfo(role=Role.REGION_TERMINATOR),
    "stream.async.transfer": OpInfo(affinity_attrs=("result_affinity", "to"),
                                    affinity_hook=_async_transfer_affinity),
    "stream.resource.size": OpInfo(affinity_attrs=("affinity", "on"),
                                   result_types=ResultTypes.NOT_AFFINITY),
    "stream.tensor.sizeof": OpInfo(affinity_attrs=("affinity", "on"),
                                   attr_place=AttrPlace.GENERIC,
                                   result_types=ResultTypes.NOT_AFFINITY,
                                   leading_type_attr="encoding",
                                   generic_properties=_stream_sizeof_properties),
}

# Native stream ops that declare the stream affinity-op trait (spec 1.1).
for _name in (
    "context.resolve", "resource.alloc", "resource.alloca", "resource.dealloca",
    "resource.try_map", "resource.pack", "resource.constants", "parameter.load",
    "parameter.read", "parameter.write", "parameter.gather", "parameter.scatter",
    "file.constant", "file.read", "file.write", "tensor.import", "tensor.export",
    "tensor.empty", "tensor.constant", "tensor.splat", "tensor.clone", "tensor.encode",
    "tensor.slice", "tensor.fill", "tensor.update", "tensor.dispatch", "async.alloca",
    "async.constant", "async.splat", "async.clone", "async.slice", "async.fill", "async.update",
    "async.copy", "async.collective", "async.barrier", "async.dispatch", "async.call",
    "async.execute", "async.concurrent", "cmd.execute", "timepoint.import", "timepoint.export",
    "timepoint.chain_external", "timepoint.barrier", "channel.create",
):
    TABLE.setdefault("stream." + _name, _STREAM_AWARE)

_TIED_BY_SYNTAX = ("tensor.dispatch", "async.dispatch", "async.call", "async.execute",
                   "async.concurrent")
_TIED_FIRST = ("tensor.fill", "tensor.update", "tensor.import", "tensor.export", "async.fill",
               "async.update", "async.copy", "async.collective", "async.barrier",
               "timepoint.barrier")
for _name in _TIED_BY_SYNTAX:
    TABLE["stream." + _name] = OpInfo(affinity_attrs=("affinity", "on"), ties=Ties.SYNTAX)
for _name in _TIED_FIRST:
    TABLE["stream." + _name] = OpInfo(affinity_attrs=("affinity", "on"), ties=Ties.FIRST)
TABLE["stream.async.call"] = OpInfo(role=Role.CALL, affinity_attrs=("affinity", "on"),
                                    ties=Ties.SYNTAX)
# Where the stream ops' custom syntax keeps the attribute dictionary (as iree-opt 3.13 prints
# it; ops not listed keep it before the first top-level ':').
_STREAM_END_KEYWORD = (
    "async.clone", "async.constant", "async.copy", "async.fill", "async.load",
    "async.slice", "async.splat", "async.store", "async.transfer", "async.update",
    "async.collective", "async.execute", "async.concurrent", "channel.count", "channel.create",
    "channel.rank", "channel.split", "cmd.copy", "cmd.discard", "cmd.fill", "cmd.flush",
    "cmd.invalidate", "cmd.execute", "cmd.concurrent", "cmd.serial", "cmd.dispatch",
    "file.constant", "file.read", "file.write", "resource.load", "resource.store",
    "resource.subview", "resource.pack", "tensor.clone", "tensor.constant", "tensor.empty",
    "tensor.encode", "tensor.export", "tensor.fill", "tensor.import", "tensor.load",
    "tensor.slice", "tensor.splat", "tensor.store", "tensor.update", "tensor.trace",
    "timepoint.await", "timepoint.export", "timepoint.import", "timepoint.join",
)
_STREAM_PLACES = [(n, AttrPlace.END_KEYWORD) for n in _STREAM_END_KEYWORD] + [
    ("async.cast", AttrPlace.END), ("resource.dealloca", AttrPlace.END),
    ("resource.constants", AttrPlace.AFTER_NAME), ("yield", AttrPlace.AFTER_NAME),
    ("return", AttrPlace.AFTER_NAME),
]
_STREAM_PLACES.append(("resource.alloca", AttrPlace.AFTER_COLON))
for _name, _place in _STREAM_PLACES:
    TABLE["stream." + _name] = replace(TABLE.get("stream." + _name, UNKNOWN),
                                       attr_place=_place)
for _name in ("cmd.dispatch", "cmd.collective", "parameter.load", "parameter.gather",
              "parameter.scatter"):
    TABLE["stream." + _name] = replace(TABLE.get("stream." + _name, UNKNOWN),
                                       braced_operands=True)
# Where the custom syntax's operand order differs from the ODS order.
for _name, _reorder in (("async.fill", _fill_order), ("async.store", _fill_order),
                        ("cmd.fill", _fill_order), ("resource.store", _fill_order),
                        ("tensor.fill", _value_last), ("tensor.store", _value_last),
                        ("timepoint.await", _value_last), ("async.update", _update_target_first),
                        ("tensor.update", _update_target_first),
                        ("async.copy", _async_copy_order),
                        ("async.collective", _collective_order)):
    TABLE["stream." + _name] = replace(TABLE.get("stream." + _name, UNKNOWN),
                                       reorder_operands=_reorder)
for _name in ("async.execute", "cmd.execute", "file.read", "file.write", "resource.alloca",
              "resource.dealloca"):
    TABLE["stream." + _name] = replace(TABLE.get("stream." + _name, UNKNOWN),
                                       trailing_operand_keywords=("await",))
TABLE["stream.cmd.call"] = OpInfo(role=Role.CALL)
# Function declarations that stream.async.call / stream.cmd.call name.
for _name in ("async.func", "cmd.func"):
    TABLE["stream." + _name] = OpInfo(role=Role.FUNCTION, defines_symbol=True,
                                      attr_place=AttrPlace.END_KEYWORD,
                                      signature_args=_name == "cmd.func")
TABLE["stream.timepoint.immediate"] = OpInfo(constant_like=True,
                                             attr_place=AttrPlace.AFTER_NAME)

# The unified-encodings pass's view of stream ops.
for _name, _role in (("stream.tensor.encode", EncodingRole.ENCODE),
                     ("stream.tensor.sizeof", EncodingRole.SIZEOF),
                     ("stream.tensor.constant", EncodingRole.CONSTANT),
                     ("stream.async.clone", EncodingRole.CLONE),
                     ("stream.tensor.dispatch", EncodingRole.DISPATCH),
                     ("stream.binding.subspan", EncodingRole.BINDING),
                     ("stream.executable", EncodingRole.EXECUTABLE)):
    TABLE[_name] = replace(TABLE.get(_name, UNKNOWN), encoding=_role)
TABLE["util.initializer"] = replace(TABLE["util.initializer"], initializer=True)

# Ops whose name the printer may abbreviate: `module` is `builtin.module`, `return`
# inside func.func is `func.return` (and `call` is `func.call`), `func` is not abbreviated.
ALIASES: dict[str, str] = {"module": "builtin.module", "return": "func.return",
                           "call": "func.call"}


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


def info(op: Operation | str) -> OpInfo:
    """The table row of an op (or op name); unknown ops get the conservative default."""
    if isinstance(op, str):
        return TABLE.get(op, UNKNOWN)
    row: OpInfo | None = op.row
    if row is None:
        row = TABLE.get(op.name, UNKNOWN)
        op.row = row
    return row


def canonical_name(name: str) -> str:
    """The full op name for a name as printed (`module` -> `builtin.module`)."""
    return ALIASES.get(name, name)


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


IREE313_ROWS: dict[str, OpInfo] = {
    "flow.tensor.barrier": OpInfo(affinity_attrs=("target", "on"), ties=Ties.FIRST,
                                  attr_place=AttrPlace.END_KEYWORD),
    "stream.async.transfer": replace(TABLE["stream.async.transfer"],
                                     affinity_hook=_async_transfer_affinity_313),
    "stream.async.cast": replace(TABLE.get("stream.async.cast", UNKNOWN),
                                 affinity_attrs=("affinity", "on"), ties=Ties.FIRST),
    "stream.resource.size": replace(TABLE["stream.resource.size"], affinity_attrs=None),
}
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
# Tied results of these ops also read the op's execution when it has its own affinity
# (canTieResultToExplicitOpAffinity).
IREE313_TIED_EXPLICIT = ("stream.async.dispatch",)
# Region-branch ops of the stream dialect in 3.13: their entry block's argument i is entry
# operand i, the i-th affinity-typed (resource) operand (`with(%x as %arg: ...)`), and their
# `stream.yield` operands are their results.
IREE313_ENTRY_OPERAND_OPS = ("stream.async.execute", "stream.async.concurrent")
for _name in IREE313_ENTRY_OPERAND_OPS:
    IREE313_ROWS[_name] = replace(TABLE[_name], role=Role.REGION_BRANCH)
