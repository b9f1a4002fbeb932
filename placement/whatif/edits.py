"""Applying a scenario's edits to a module's IR with the `Rewriter` (never to its text).

Every name an edit uses is checked against the module as the earlier edits left it: an unknown
device, op, global, function, argument or HAL name is a located error at the edit's key in the
scenario file. `remove_device` is checked last: every affinity that still names the removed
device (pins, transfers, HAL ops, defaults) must have been re-targeted by the same scenario.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from placement import ops as optable
from placement.affinity import affinity_text, global_type
from placement.diagnostics import PlacementError
from placement.explain import find_globals, find_ops, find_values
from placement.ir.core import Module, Operation, OpResult
from placement.ir.explorer import symbol_name
from placement.ir.rewrite import Rewriter
from placement.ops import Role
from placement.whatif.schema import Edit, Scenario, device_symbol, parse_size

PIN = "stream.affinity"
DEFAULT = "stream.affinity.default"
_ORDINAL = re.compile(r"ordinal\s*=\s*\d+\s*:\s*index")
_SYMBOL = re.compile(r"@([\w$.\-]+)")


def affinity_of(device: str) -> str:
    """The affinity attribute text of a device symbol."""
    return f"#hal.device.affinity<{device}>"


@dataclass
class Applied:
    """What the edits did, besides the IR changes: cost-model inputs and a log."""

    budgets: dict[str, int] = field(default_factory=dict)  # device name without '@' -> bytes
    links: dict[tuple[str, str], int] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    replicas: dict[str, list[str]] = field(default_factory=dict)  # global -> its copies
    log: list[str] = field(default_factory=list)


def device_globals(module: Module) -> list[Operation]:
    """The module's `!hal.device` globals, in order."""
    return [op for op in module.top_level_ops()
            if optable.info(op).role == Role.GLOBAL and global_type(op).strip() == "!hal.device"]


def functions(module: Module) -> list[Operation]:
    """The module's top-level functions."""
    return [op for op in module.top_level_ops() if optable.info(op).role == Role.FUNCTION]


def set_affinity(rw: Rewriter, op: Operation, text: str | None) -> None:
    """Pin (or unpin, None) `op`: its own affinity attribute when it has one (transfers, HAL
    ops), else `stream.affinity`."""
    own = _own_attribute(op)
    if own is not None:
        rw.set_property(op, own, text)
    else:
        rw.set_attribute(op, PIN, text)


def _own_attribute(op: Operation) -> str | None:
    """The name under which `op` holds its own affinity, if it holds one."""
    for name in optable.info(op).affinity_attrs or ():
        if name in op.syntax_attrs:
            return name
    return None


class Applier:
    """Applies one scenario's edits to one freshly parsed module."""

    def __init__(self, scenario: Scenario, module: Module,
                 rewriter: Rewriter | None = None, named: list[str] | None = None) -> None:
        self.sc = scenario
        self.module = module
        self.rw = rewriter or Rewriter(module)
        self.out = Applied()
        self._named = named if named is not None else named_devices(module)

    def fail(self, message: str, edit: Edit, key: str | None = None) -> PlacementError:
        return self.sc.error(message, edit.index, key)

    # ------------------------------------------------------------------ lookups
    def devices(self) -> list[str]:
        """Device globals, then devices only named by affinities (no global declares them)."""
        own = [symbol_name(op) or "" for op in device_globals(self.module)]
        return own + [d for d in self._named if d not in own and d not in self.out.removed]

    def device(self, edit: Edit, key: str = "device") -> str:
        name = device_symbol(str(edit.get(key)))
        known = self.devices()
        if name not in known:
            raise self.fail(f"unknown device {name} (devices: {', '.join(known) or 'none'})",
                            edit, key)
        return name

    def function(self, edit: Edit, name: str, key: str) -> Operation:
        want = "@" + name.lstrip("@")
        for f in functions(self.module):
            if symbol_name(f) == want:
                return f
        known = ", ".join(symbol_name(f) or "" for f in functions(self.module))
        raise self.fail(f"unknown function {want} (functions: {known})", edit, key)

    def op(self, edit: Edit, key: str = "op") -> Operation:
        text = str(edit.get(key)).strip()
        scope = edit.get("in")
        fname = None if scope is None else "@" + str(scope).lstrip("@")
        if scope is not None:
            self.function(edit, str(scope), "in")
        m = re.fullmatch(r"(\d+):(\d+)", text)
        if m:
            found = [op for op in find_ops(self.module, int(m.group(1)), int(m.group(2)))
                     if fname is None or _in_function(op, fname)]
        else:
            found = [v.owner for v in find_values(self.module, text, fname)
                     if isinstance(v, OpResult)]
        if not found:
            raise self.fail(f"no op {'at' if m else 'defines'} {text} in the base module"
                            + (f" (in {fname})" if fname else ""), edit, key)
        if len(found) > 1:
            where = ", ".join(f"{op.loc.line}:{op.loc.col}" for op in found)
            raise self.fail(f"{text} names {len(found)} ops ({where}); add in = \"@function\" "
                            "or use LINE:COL", edit, key)
        return found[0]

    def global_op(self, edit: Edit, key: str = "global") -> Operation:
        name = "@" + str(edit.get(key)).lstrip("@")
        found = find_globals(self.module, name)
        if not found:
            raise self.fail(f"unknown global {name}", edit, key)
        return found[0]

    def abi_ops(self, edit: Edit, key: str) -> list[Operation]:
        """The HAL import (argument) or export (result) ops of `@f:N`."""
        text = str(edit.get(key))
        fname, sep, number = text.rpartition(":")
        if not sep or not number.isdigit():
            raise self.fail(f"'{key}' is \"@function:INDEX\"", edit, key)
        func = self.function(edit, fname, key)
        index = int(number)
        if key == "argument":
            args = func.regions[0].blocks[0].arguments if func.regions else []
            if index >= len(args):
                raise self.fail(f"{fname} has {len(args)} argument(s)", edit, key)
            found = [u.owner for u in args[index].uses if optable.info(u.owner).pins]
        else:
            found = []
            for op in func.walk():
                row = optable.info(op)
                if row.role == Role.RETURN and op.parent_op is func:
                    if index >= len(op.operands):
                        raise self.fail(f"{fname} returns {len(op.operands)} value(s)", edit,
                                        key)
                    v = op.operands[index]
                    if isinstance(v, OpResult) and optable.info(v.owner).pins:
                        found.append(v.owner)
        if not found:
            raise self.fail(f"{key} {text} is not imported/exported by a HAL op "
                            "(iree.abi.affinity reaches flow level as its `on(...)`)", edit, key)
        return found

    def hal_ops(self, edit: Edit) -> list[Operation]:
        want = '"' + str(edit.get("hal")) + '"'
        found = [op for op in self.module.root.walk()
                 if optable.info(op).pins and op.syntax_attrs.get("name") == want]
        if not found:
            raise self.fail(f"no HAL import/export named {want}", edit, "hal")
        return found

    def targets(self, edit: Edit) -> list[Operation]:
        """The ops a pin/unpin edit applies to."""
        if "op" in edit.values:
            return [self.op(edit)]
        if "global" in edit.values:
            return [self.global_op(edit)]
        if "function" in edit.values:
            return [self.function(edit, str(edit.get("function")), "function")]
        if "hal" in edit.values:
            return self.hal_ops(edit)
        key = "argument" if "argument" in edit.values else "result"
        return self.abi_ops(edit, key)

    # ------------------------------------------------------------------ edit kinds
    def apply(self) -> Applied:
        kinds: dict[str, Callable[[Edit], None]] = {
            "add_device": self.add_device, "remove_device": self.remove_device,
            "pin": self.pin, "unpin": self.unpin, "retarget_transfer": self.retarget,
            "set_default": self.set_default, "replicate_global": self.replicate,
            "budget": self.budget,
        }
        for edit in self.sc.edits:
            kinds[edit.kind](edit)
        for edit in self.sc.edits:
            if edit.kind == "remove_device":
                self.check_removed(edit)
        self.write_topology()
        return self.out

    def write_topology(self) -> None:
        """`add_device` links as weights of the module's `stream.topology`; links naming a
        removed device dropped from the topology and the cost model (budgets too)
        (`placement.whatif.topology`)."""
        from placement.whatif import topology

        removed = [d[1:] for d in self.out.removed]
        self.out.links = {k: w for k, w in self.out.links.items()
                          if k[0] not in removed and k[1] not in removed}
        self.out.budgets = {k: n for k, n in self.out.budgets.items() if k not in removed}
        before = topology.links(self.module)
        after = topology.edited(self.module, self.out.links, removed)
        if after != before:
            topology.write(self.rw, after)

    def add_device(self, edit: Edit) -> None:
        name = device_symbol(str(edit.get("name")))
        existing = device_globals(self.module)
        if name in self.devices() or find_globals(self.module, name):
            raise self.fail(f"{name} already exists", edit, "name")
        if "copy" in edit.values:
            source = existing[self.devices().index(self.device(edit, "copy"))]
            props = dict(source.syntax_attrs)
            props["initial_value"] = _ORDINAL.sub(f"ordinal = {len(existing)} : index",
                                                  props.get("initial_value", ""))
        else:
            target = str(edit.get("target")).strip()
            if not target.startswith("#hal.device.target<"):
                raise self.fail("'target' must be #hal.device.target<...> text", edit, "target")
            props = {"sym_visibility": '"private"', "initial_value": target + " : !hal.device",
                     "type": "!hal.device"}
        props["sym_name"] = f'"{name[1:]}"'
        op = self.rw.create(optable_global_name(existing), properties=props, symbols=[name])
        anchor = existing[-1] if existing else None
        if anchor is None:
            raise self.fail("the base module has no device to add next to", edit)
        self.rw.insert_after(anchor, op)
        self.out.added.append(name)
        for link in edit.get("links") or []:
            src = device_symbol(str(link.get("from", name)))
            dst = device_symbol(str(link.get("to", name)))
            for dev in (src, dst):
                if dev not in self.devices():
                    raise self.fail(f"link names unknown device {dev}", edit, "links")
            self.out.links[(src[1:], dst[1:])] = int(link.get("weight", 1))
        self.out.log.append(f"add_device {name}")

    def remove_device(self, edit: Edit) -> None:
        name = self.device(edit, "name")
        for op in device_globals(self.module):
            if symbol_name(op) == name:
                self.rw.erase(op)
        self.out.removed.append(name)
        self.out.log.append(f"remove_device {name}")

    def check_removed(self, edit: Edit) -> None:
        name = device_symbol(str(edit.get("name")))
        for op in self.module.root.walk():
            for key, value in [*op.attributes.items(), *op.syntax_attrs.items()]:
                text = affinity_text(self.module, value)
                if text is None or name[1:] not in _SYMBOL.findall(text):
                    continue
                what = symbol_name(op) if optable.info(op).defines_symbol else None
                what = what or (", ".join(r.name for r in op.results) or op.name)
                where = f"{op.loc.line}:{op.loc.col}" if op.loc.line else "(new op)"
                raise self.fail(f"{name} is removed but {what} ({op.name} at {self.sc.base.name}"
                                f":{where}) still names it in '{key}'; re-target it in this "
                                "scenario (pin, retarget_transfer or set_default)", edit, "name")

    def pin(self, edit: Edit) -> None:
        device = self.device(edit)
        for op in self.targets(edit):
            set_affinity(self.rw, op, affinity_of(device))
        self.out.log.append(f"pin {_target_text(edit)} -> {device}")

    def unpin(self, edit: Edit) -> None:
        for op in self.targets(edit):
            if _own_attribute(op) is not None and not optable.info(op).pins:
                raise self.fail("a transfer keeps its target: use retarget_transfer", edit,
                                "op")
            set_affinity(self.rw, op, None)
        self.out.log.append(f"unpin {_target_text(edit)}")

    def retarget(self, edit: Edit) -> None:
        op = self.op(edit)
        if _own_attribute(op) is None or optable.info(op).pins:
            raise self.fail(f"{edit.get('op')} is a {op.name}, not a transfer", edit, "op")
        device = self.device(edit)
        set_affinity(self.rw, op, affinity_of(device))
        self.out.log.append(f"retarget_transfer {edit.get('op')} -> {device}")

    def set_default(self, edit: Edit) -> None:
        device = self.device(edit)
        fname = edit.get("function")
        op = self.module.root if fname is None else self.function(edit, str(fname), "function")
        self.rw.set_attribute(op, DEFAULT, affinity_of(device))
        self.out.log.append(f"set_default {fname or 'module'} -> {device}")

    def budget(self, edit: Edit) -> None:
        device = self.device(edit)
        size = parse_size(edit.get("bytes"))
        assert size is not None  # checked by the schema
        self.out.budgets[device[1:]] = size
        self.out.log.append(f"budget {device} = {size}")

    def replicate(self, edit: Edit) -> None:
        from placement.transform.replicate import replicate_global

        glob = self.global_op(edit)
        devices = [self.device(Edit("", edit.index, {"device": d}), "device")
                   if d else "" for d in edit.get("devices") or []] or self.devices()
        try:
            done = replicate_global(self.module, glob, [affinity_of(d) for d in devices],
                                    rewriter=self.rw)
        except PlacementError as e:  # located in the base module: re-located at the edit
            raise self.fail(e.message, edit, "global") from None
        name = symbol_name(glob) or ""
        self.out.replicas[name] = [symbol_name(g) or "" for g in done.copies.values()
                                   if g is not glob]
        self.out.log.append(f"replicate_global {name} on {', '.join(devices)}")
        if done.unresolved:
            self.out.log.append(f"replicate_global {name}: {len(done.unresolved)} use(s) whose "
                                "consumers run on several devices read the original")


def optable_global_name(existing: list[Operation]) -> str:
    """The op name of a new device global: that of the existing ones (no name spelled here)."""
    return existing[0].name if existing else ""


def named_devices(module: Module) -> list[str]:
    """Device symbols the module's affinity attributes name, in first-use order."""
    found: dict[str, None] = {}
    for op in module.root.walk():
        for value in [*op.attributes.values(), *op.syntax_attrs.values()]:
            if "#hal.device" in value:
                text = affinity_text(module, value)
                if text is not None:
                    found.update(dict.fromkeys("@" + s for s in _SYMBOL.findall(text)))
    return list(found)


def _in_function(op: Operation, fname: str) -> bool:
    return any(optable.info(x).role == Role.FUNCTION and symbol_name(x) == fname
               for x in op.ancestors())


def _target_text(edit: Edit) -> str:
    for key in ("op", "global", "function", "argument", "result", "hal"):
        if key in edit.values:
            return f"{key} {edit.get(key)}"
    return ""


def apply_edits(scenario: Scenario, module: Module, rewriter: Rewriter | None = None,
                named: list[str] | None = None) -> Applied:
    """Apply every edit of `scenario` to `module` (see the module docstring), through
    `rewriter` when given (`placement.whatif.journal.Journal`: undoable attribute edits);
    `named`: the module's `named_devices`, when known."""
    return Applier(scenario, module, rewriter, named).apply()

