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


# =====================================================================================
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
                                "$source_affinity^ `)`)? `->` (`to` `(` $result_affinity^ "
                                "`)`)? type($result) `` `{` $result_size `}` "
                                "attr-dict-with-keyword", "source source_size result_size",
                                "result",
                                "execution_affinity source_affinity result_affinity"),
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
        "`(` $operands `)` attr-dict", "operands*", "results*",
        infer=(("results", "#index"),)),
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
