"""Replicate a global per device, as IREE's `--iree-flow-replicate-globals-per-affinity` does.

For every device that needs a copy, a new private immutable global of the same type is declared
(with that device as its `stream.affinity`), followed by an initializer that loads the original,
`flow.tensor.transfer`s it to the device and stores the copy; both go after the last
initializer that stores the original (after the global itself when none does), so the original
holds its value by then. Every load of the original outside initializers is then redirected per
use: a use whose consumers all run on one device reads a new `immutable` load of that device's
copy, inserted right after the original load (an original load left without uses is erased).

Differences from IREE's pass, all deliberate: the copies are named `@<global>_<device>` (IREE's
`@"<global>_#hal.device.affinity<@dev>"` needs a quoted symbol), copies are declared in the
order given, `keep` lets the original itself serve one device (pinned there, so no copy is made
for it; a global already pinned serves its own device that way, as in IREE), and the consumer
device of a use is the caller's (`device_of`) where IREE derives it from the consumer's other
operands (the default here does the same from the fixpoint).
A use whose consumers run on several devices (through a call or a branch) is left on the
original and reported in `Replication.unresolved`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from placement import ops as optable
from placement.affinity import affinity_text, explicit_affinity, global_type, requires_affinity
from placement.diagnostics import PlacementError
from placement.ir.core import Module, Operation, Use, Value
from placement.ir.explorer import Explorer, is_affinity_typed, is_tensor_type, symbol_name
from placement.ir.rewrite import Rewriter
from placement.ops import Role

PIN = "stream.affinity"
_GLOBAL, _INITIALIZER, _LOAD = optable.BUILD_GLOBAL, optable.BUILD_INITIALIZER, \
    optable.BUILD_GLOBAL_LOAD
_STORE, _TRANSFER, _RETURN = optable.BUILD_GLOBAL_STORE, optable.BUILD_TRANSFER, \
    optable.BUILD_RETURN

DeviceOf = Callable[[Operation], "str | None"]


@dataclass
class Replication:
    """What `replicate_global` did."""

    copies: dict[str, Operation]  # affinity text -> the global holding that device's copy
    loads: list[Operation] = field(default_factory=list)  # loads added in functions
    redirected: int = 0  # uses moved to a copy
    unresolved: list[Use] = field(default_factory=list)  # uses whose consumers disagree


def replicate_global(module: Module, target: Operation | str, devices: Sequence[str],
                     device_of: DeviceOf | None = None, keep: str | None = None,
                     rewriter: Rewriter | None = None) -> Replication:
    """Give `target` (a `util.global` op or its `@name`) one copy per affinity text of
    `devices`, and make each use read the copy of the device its consumer runs on
    (`device_of(op)`: the affinity text of a consumer op, None for an op that does not
    consume; default: IREE's rule, the one device of the consumer's other operands).
    With `keep` (one of `devices`), the original is pinned to it and serves that device.
    A global already pinned (`stream.affinity` on it or the module) stays on its device and
    serves it, as with `keep` (its pin unchanged; no copy is made for that device).
    Raises PlacementError (located at the global) for a global IREE does not replicate:
    mutable, addressed indirectly, not a tensor; ValueError for a `keep` that is not one of
    `devices` or differs from the global's pin."""
    rw = rewriter or Rewriter(module)
    explorer = Explorer(module)
    glob = _resolve(module, explorer, target)
    name = symbol_name(glob) or "@global"
    if keep is not None and keep not in devices:
        raise ValueError(f"keep={keep!r} is not one of the devices")
    pinned = explicit_affinity(module, glob)
    if pinned is not None:
        canonical = {affinity_text(module, d) or d: d for d in devices}
        if keep is not None and (affinity_text(module, keep) or keep) != pinned:
            raise ValueError(f"keep={keep!r} differs from {name}'s pin {pinned}")
        keep = canonical.get(pinned, pinned)
        if keep not in devices:
            devices = [*devices, keep]
    if device_of is None:
        device_of = _iree_rule(module, glob)
    copies: dict[str, Operation] = {}
    anchor = _insertion_point(module, explorer, glob)
    taken = {symbol_name(op) for op in module.top_level_ops()}
    for device in dict.fromkeys(devices):
        if device == keep:
            if pinned is None:
                rw.set_attribute(glob, PIN, device)
            copies[device] = glob
            continue
        copy_name = _fresh_symbol(f"{name}_{_device_tag(device)}", taken)
        copy = rw.create(_GLOBAL, properties={"sym_visibility": '"private"',
                                              "sym_name": f'"{copy_name[1:]}"',
                                              "type": global_type(glob)},
                         attributes={PIN: device}, symbols=[copy_name], loc=glob.loc)
        rw.insert_after(anchor, copy)
        init = rw.create(_INITIALIZER, regions=1, loc=glob.loc)
        rw.insert_after(copy, init)
        anchor = init
        block = init.regions[0].blocks[0]
        gtype = global_type(glob)
        load = rw.append(block, rw.create(_LOAD, [], [gtype], properties={"global": name},
                                          symbols=[name], result_names=[name[1:]],
                                          loc=glob.loc))
        moved = rw.append(block, rw.create(_TRANSFER, [load.results[0]], [gtype],
                                           properties={"target": device}, segments=[1, 0],
                                           loc=glob.loc))
        rw.append(block, rw.create(_STORE, [moved.results[0]], [],
                                   properties={"global": copy_name}, symbols=[copy_name],
                                   segments=[1], loc=glob.loc))
        rw.append(block, rw.create(_RETURN, [], [], segments=[0], loc=glob.loc))
        copies[device] = copy
    result = Replication(copies)
    info = explorer.global_info(glob)
    for load in list(info.loads if info is not None else []):
        if optable.info(load).role != Role.GLOBAL_LOAD or _in_initializer(load):
            continue
        _redirect(rw, explorer, load, copies, device_of, result)
    return result


def _resolve(module: Module, explorer: Explorer, target: Operation | str) -> Operation:
    if isinstance(target, str):
        ref = target if target.startswith("@") else "@" + target
        op = explorer.symbols.get(ref)
        if op is None or optable.info(op).role != Role.GLOBAL:
            raise PlacementError(f"no global {ref} to replicate", module.filename)
    else:
        op = target
    info = explorer.global_info(op)
    problem = None
    if "is_mutable" in op.syntax_attrs:
        problem = "is mutable"
    elif info is not None and info.is_indirect:
        problem = "is addressed indirectly (util.global.address)"
    elif not is_tensor_type(module.resolve_type(global_type(op))):
        problem = "is not a tensor"
    if problem is not None:
        raise PlacementError(f"cannot replicate {symbol_name(op)}: it {problem}",
                             module.filename, module.source, op.syntax.start)
    return op


def _insertion_point(module: Module, explorer: Explorer, glob: Operation) -> Operation:
    """The last top-level initializer that stores `glob`, else `glob` itself."""
    info = explorer.global_info(glob)
    top = module.top_level_ops()
    position = {id(op): i for i, op in enumerate(top)}
    anchor = glob
    for store in info.stores if info is not None else []:
        outer = store
        while outer.parent_op is not None and outer.parent_op is not module.root:
            outer = outer.parent_op
        if _is_initializer(outer) and position.get(id(outer), -1) > position[id(anchor)]:
            anchor = outer
    return anchor


def _is_initializer(op: Operation) -> bool:
    return optable.info(op).initializer


def _in_initializer(op: Operation) -> bool:
    return any(_is_initializer(a) for a in op.ancestors())


_TAG = re.compile(r"@([\w$.\-]+)")


def _device_tag(device: str) -> str:
    """`#hal.device.affinity<@dev, [1]>` -> `dev_q1`: a bare-identifier suffix for a copy."""
    m = _TAG.search(device)
    tag = m.group(1) if m else "device"
    queues = re.search(r"\[([\d,\s]+)\]", device)
    if queues:
        tag += "_q" + "_".join(q.strip() for q in queues.group(1).split(","))
    return re.sub(r"[^\w$.]", "_", tag)


def _fresh_symbol(base: str, taken: set[str | None]) -> str:
    name, n = base, 0
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def consumer_devices(explorer: Explorer, use: Use, device_of: DeviceOf) -> set[str]:
    """The devices of the ops that consume what `use` passes on: `use.owner` itself when
    `device_of` gives it one, else (through ties, calls, branches, region results) the
    consumers it forwards the value to."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    work = [use]
    while work:
        u = work.pop()
        key = (id(u.owner), u.index)
        if key in seen:
            continue
        seen.add(key)
        device = device_of(u.owner)
        if device is not None:
            found.add(device)
            continue
        values, _ = explorer.expand_use(u, follow_ties=True)
        for v in values:
            work.extend(v.uses)
    return found


def _redirect(rw: Rewriter, explorer: Explorer, load: Operation, copies: dict[str, Operation],
              device_of: DeviceOf, result: Replication) -> None:
    value = load.results[0]
    new_loads: dict[str, Value] = {}
    anchor = load
    for use in list(value.uses):
        devices = consumer_devices(explorer, use, device_of)
        if len(devices) != 1:
            if len(devices) > 1:
                result.unresolved.append(use)
            continue
        device = devices.pop()
        copy = copies.get(device)
        if copy is None or copy is explorer.global_op(load):
            continue
        if device not in new_loads:
            ref = symbol_name(copy) or ""
            new = rw.create(_LOAD, [], [value.type],
                            properties={"is_immutable": "", "global": ref}, symbols=[ref],
                            result_names=[ref[1:]], loc=load.loc)
            rw.insert_after(anchor, new)
            anchor = new
            result.loads.append(new)
            new_loads[device] = new.results[0]
        rw.set_operand(use.owner, use.index, new_loads[device])
        result.redirected += 1
    if not value.uses:
        rw.erase(load)


def _iree_rule(module: Module, glob: Operation) -> DeviceOf:
    """IREE's consumer device: the one affinity of the consumer's operands, leaving out those
    that carry `glob`'s value (through ties, calls, branches, or ops all of whose operands
    carry it), from the fixpoint's producer sets; None if not exactly one."""
    from placement.annotate import solve_module
    from placement.solution import Kind

    solution = solve_module(module, "fixpoint")
    explorer = Explorer(module)
    carried: set[tuple[int, int]] = set()  # (op id, operand index) that carry glob's value
    info = explorer.global_info(glob)
    work: list[Value] = [load.results[0] for load in (info.loads if info else [])
                         if optable.info(load).role == Role.GLOBAL_LOAD and load.results]
    done: set[int] = set()
    while work:
        value = work.pop()
        if id(value) in done:
            continue
        done.add(id(value))
        reached: list[Use] = []
        explorer.walk_transitive_uses(value, reached.append, follow_ties=True)
        carried.update((id(u.owner), u.index) for u in reached)
        for op in (u.owner for u in reached):
            if all((id(op), i) in carried for i, v in enumerate(op.operands)
                   if is_affinity_typed(v)):
                work.extend(r for r in op.results if is_affinity_typed(r))

    def device_of(op: Operation) -> str | None:
        row = optable.info(op)
        if not row.affinity_aware or row.role == Role.FUNCTION or not requires_affinity(op):
            return None
        own = explicit_affinity(module, op)
        if own is not None:
            return affinity_text(module, own) or own
        found: set[str] = set()
        for i, v in enumerate(op.operands):
            if not is_affinity_typed(v) or (id(op), i) in carried:
                continue
            state = solution.get(Kind.P, v)
            if state is not None and state.valid:
                found.update(state.devices)
        return next(iter(found)) if len(found) == 1 else None

    return device_of
