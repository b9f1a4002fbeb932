"""The verifier: checks of a parsed module that MLIR's verifier makes and the parser cannot.

Every rule reports as iree-opt does (wording, location at the op name, `note:` at the earlier
definition): duplicate symbols, SSA names redefined in a nested region, uses that a definition
obviously does not dominate (later in the same block, or later in an enclosing block), call
operands and results against the callee's signature, returned values against the enclosing
function's signature, successor operands against the target block's arguments, function bodies
whose blocks do not end with a terminator, and references
to undefined symbols. What an op *is* comes from the op table (`placement.ops`); signatures come
from what the parser records (see `signature`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from placement import ops as optable
from placement.diagnostics import Note, PlacementError
from placement.ir.core import Block, Module, Operation, OpResult, Value
from placement.ir.explorer import symbol_name
from placement.ir.generic import generic_form
from placement.ir.lexer import split_top_level
from placement.ops import Role

_SYMBOL_TABLES = (Role.MODULE, Role.OBJECT)
_GLOBAL_ACCESS = (Role.GLOBAL_LOAD, Role.GLOBAL_STORE, Role.GLOBAL_ADDRESS)
_GRAPH_REGIONS = (Role.MODULE, Role.OBJECT)  # no dominance inside (MLIR graph regions)
# (the roles whose rules `op` runs)
_CHECKED_ROLES = frozenset((Role.FUNCTION, Role.CALL, Role.RETURN) + _GLOBAL_ACCESS)


class Signature:
    """A function's argument and result types; None where the IR does not record them."""

    __slots__ = ("inputs", "results")

    def __init__(self, inputs: list[str] | None, results: list[str] | None) -> None:
        self.inputs = inputs
        self.results = results


def verify(module: Module) -> None:
    """Raise a located PlacementError (with MLIR's notes) for the first rule a module breaks."""
    v = _Verifier(module)
    v.symbol_tables(module.root)
    v.names(module.root)
    for op in module.root.walk():
        v.op(op)


def name_offset(module: Module, op: Operation) -> int:
    """Offset of an op's name, where MLIR locates the op (after `%r, %s:2 =`)."""
    start = op.syntax.start
    source = module.source
    if op.results and source.startswith("%", start):
        eq = source.find("=", start, op.syntax.name_end)
        if eq >= 0:
            i = eq + 1
            while i < op.syntax.name_end and source[i] in " \t\r\n":
                i += 1
            return i
    return start


def _function_type(text: str) -> tuple[list[str], list[str]] | None:
    """`(a, b) -> (c)` or `(a) -> c` as type lists (None if it is not a function type)."""
    text = text.strip()
    if not text.startswith("("):
        return None
    close = _matching(text, 0)
    rest = text[close + 1:].lstrip()
    if close < 0 or not rest.startswith("->"):
        return None
    results = rest[2:].strip()
    if results.startswith("(") and _matching(results, 0) == len(results) - 1:
        results = results[1:-1]
    return split_top_level(text[1:close]), split_top_level(results)


@functools.lru_cache(maxsize=4096)
def _parsed_function_type(text: str) -> tuple[list[str], list[str]] | None:
    """`_function_type`, once per text (functions share signatures; the lists are only
    read)."""
    return _function_type(text)


def _matching(text: str, i: int) -> int:
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c in "(<[{":
            depth += 1
        elif c in ")>]}" and not (c == ">" and j and text[j - 1] == "-"):
            depth -= 1
            if depth == 0:
                return j
    return -1


def signature(func: Operation) -> Signature:
    """A function's types from the IR: its `function_type` (the generic form's property, or
    whatever the parser records under that name), else its entry block's argument types."""
    ft = func.attr("function_type")
    parsed = _parsed_function_type(ft) if ft else None
    if parsed is not None:
        return Signature(*parsed)
    for region in func.regions[:1]:
        if region.blocks:
            return Signature([a.type for a in region.blocks[0].arguments], None)
    return Signature(None, None)


def _norm(t: str) -> str:
    return "".join(t.split())


def _known(types: list[str]) -> bool:
    return all(t and t != "?" for t in types)


def _type_of(value: Value) -> str:
    """The value's type where the IR is sure of it, else "" (not compared).

    Sure: block arguments (declared `%a: T`), results of generic-form ops, and results of ops
    the op table knows. The custom syntax of an unknown op may put its result type anywhere
    (`tensor.cast %x : A to B`), and the parser reads it structurally.
    """
    if isinstance(value, OpResult):
        owner = value.owner
        if not owner.syntax.generic and optable.info(owner) is optable.UNKNOWN:
            return ""
    return value.type


def _same_types(a: list[str], b: list[str]) -> bool:
    return [_norm(t) for t in a] == [_norm(t) for t in b]


def _function_type_text(inputs: list[str], results: list[str]) -> str:
    """MLIR's spelling: one result bare, none or several in parentheses."""
    res = results[0] if len(results) == 1 and not results[0].startswith("(") else \
        "(" + ", ".join(results) + ")"
    return "(" + ", ".join(inputs) + ") -> " + res


class _Verifier:
    def __init__(self, module: Module) -> None:
        self.module = module
        # The first definition of a name wins (the later ones are errors).
        named = ((symbol_name(op), op) for op in reversed(module.top_level_ops()))
        self.symbols = {name: op for name, op in named if name is not None}
        self.positions: dict[Operation, int] = {}  # op -> its index in its block
        self.graph_blocks: dict[Block, bool] = {}  # block -> in a graph region (no dominance)
        self.signatures: dict[Operation, Signature] = {}  # function -> `signature`

    def error(self, message: str, offset: int, *notes: Note) -> PlacementError:
        return PlacementError(message, self.module.filename, self.module.source, offset, notes)

    def at(self, op: Operation) -> int:
        return name_offset(self.module, op)

    # ------------------------------------------------------------------ symbol tables
    def symbol_tables(self, root: Operation) -> None:
        """`redefinition of symbol named 'x'` in any symbol table, first duplicate first."""
        stack = [root]
        while stack:  # every op but function bodies (no symbol table lives in one)
            op = stack.pop()
            role = optable.info(op).role
            if role != Role.FUNCTION:
                stack.extend(x for r in op.regions for b in r.blocks for x in b.ops
                             if x.regions)
            if role not in _SYMBOL_TABLES:
                continue
            seen: dict[str, Operation] = {}
            for region in op.regions:
                for block in region.blocks:
                    for child in block.ops:
                        name = symbol_name(child)
                        if name is None:
                            continue
                        first = seen.setdefault(name, child)
                        if first is not child:
                            bare = name[1:].strip('"')
                            raise self.error(f"redefinition of symbol named '{bare}'",
                                             self.at(child),
                                             Note("see existing symbol definition here",
                                                  self.at(first)))

    # ------------------------------------------------------------------ SSA names
    def names(self, root: Operation) -> None:
        """`redefinition of SSA value` of a name visible from an enclosing region.

        Iterative (any nesting depth): each walker pauses at a child with regions until the
        child's subtree is done, then defines the child's results, as MLIR's parser does.
        """
        stack = [self._names_in(root, [])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
            else:
                stack.append(self._names_in(*child))

    def _names_in(self, op: Operation, visible: list[dict[str, Value]]
                  ) -> Iterator[tuple[Operation, list[dict[str, Value]]]]:
        row = optable.info(op)
        isolated = row.isolated_from_above
        for region in op.regions:
            outer: list[dict[str, Value]] = [] if isolated else visible
            here: dict[str, Value] = {}
            scopes = outer + [here]
            for block in region.blocks:
                for arg in block.arguments:
                    self._define(arg, outer, here)
                for child in block.ops:
                    if child.regions:
                        yield child, scopes
                    for res in child.results:
                        name = res.name
                        if not name:
                            continue
                        if "#" in name:
                            if name.partition("#")[2].strip("0"):
                                continue
                        elif not outer:  # (`_define` without enclosing scopes)
                            if name not in here:
                                here[name] = res
                            continue
                        self._define(res, outer, here)

    def _define(self, value: Value, outer: list[dict[str, Value]],
                here: dict[str, Value]) -> None:
        name = value.name
        if "#" in name:
            name = name.partition("#")[0]
        if not name:
            return
        for scope in outer:
            first = scope.get(name)
            if first is not None and first.loc is not None and value.loc is not None:
                raise self.error(f"redefinition of SSA value '{name}'", value.loc.offset,
                                 Note("previously defined here", first.loc.offset))
        if name not in here:
            here[name] = value

    # ------------------------------------------------------------------ per op
    def op(self, op: Operation) -> None:
        """The rules that look at one op: dominance, symbols, calls, returns, successors."""
        if op.operands:
            self.dominance(op)
        role = optable.info(op).role
        if role in _CHECKED_ROLES:
            if role == Role.FUNCTION:
                self.terminated(op)
            elif role == Role.CALL:
                self.call(op)
            elif role in _GLOBAL_ACCESS:
                self.global_access(op, role)
            elif role == Role.RETURN:
                self.returned(op)
        if op.successors and not op.syntax.generic:
            # (the generic form's successor operands need the op's segment sizes)
            self.successors(op)

    def terminated(self, func: Operation) -> None:
        """Every block of a function body ends with a terminator (`optable.may_end_block`)."""
        for region in func.regions:
            for block in region.blocks:
                if not block.ops:
                    raise self.error("empty block: expect at least a terminator", self.at(func))
                last = block.ops[-1]
                if optable.may_end_block(last):
                    continue
                shown = generic_form(self.module, last, last.attributes) if not last.regions \
                    else f'"{last.name}"(...)'
                raise self.error(f"block with no terminator, has {shown}", self.at(last))

    def _position(self, block: Block, op: Operation) -> int:
        positions = self.positions
        index = positions.get(op)
        if index is None:
            for i, x in enumerate(block.ops):
                positions[x] = i
            index = positions[op]
        return index

    def _in_graph_region(self, block: Block) -> bool:
        assert block.parent is not None
        holder = block.parent.parent
        graph = holder is not None and optable.info(holder).role in _GRAPH_REGIONS
        self.graph_blocks[block] = graph
        return graph

    def dominance(self, op: Operation) -> None:
        """`operand #i does not dominate this use` where that is plain to see."""
        graph_blocks = self.graph_blocks
        positions = self.positions
        for i, value in enumerate(op.operands):
            if not isinstance(value, OpResult):
                continue
            definer = value.owner
            block = definer.parent
            if block is None or block.parent is None:
                continue
            graph = graph_blocks.get(block)
            if graph is None:
                graph = self._in_graph_region(block)
            if graph:
                continue
            # The ancestor of `op` (or `op` itself) that sits directly in `block`, if any.
            user: Operation | None = op
            while user is not None and user.parent is not block:
                up = user.parent
                user = up.parent.parent if up is not None and up.parent is not None else None
            if user is None:
                continue
            at_definer = positions.get(definer)
            if at_definer is None:
                at_definer = self._position(block, definer)
            if at_definer >= positions[user]:
                where = "op in the same block" if user is op else "op in a parent region"
                raise self.error(f"operand #{i} does not dominate this use", self.at(op),
                                 Note(f"operand defined here ({where})", self.at(definer)))

    def _signature(self, func: Operation) -> Signature:
        """`signature(func)`, once per function (the IR does not change while verifying)."""
        sig = self.signatures.get(func)
        if sig is None:
            sig = self.signatures[func] = signature(func)
        return sig

    def global_access(self, op: Operation, role: Role) -> None:
        """Global loads, stores and addresses name a `util.global`-like symbol."""
        if not op.symbols or self._nested(op):
            return
        ref = op.symbols[0]
        target = self.symbols.get(ref)
        if target is not None and optable.info(target).role == Role.GLOBAL:
            return
        if role == Role.GLOBAL_ADDRESS:
            message = (f"'{op.name}' op attribute 'global' failed to satisfy constraint: flat "
                       "symbol reference attribute referencing to a "
                       "'IREE::Util::GlobalOpInterface' symbol")
        else:
            message = f"'{op.name}' op undefined global: {ref}"
        raise self.error(message, self.at(op))

    def _nested(self, op: Operation) -> bool:
        """Inside a nested symbol table (executables resolve their own references)."""
        parent = op.parent_op
        while parent is not None and parent.parent_op is not None:
            if optable.info(parent).role in _SYMBOL_TABLES:
                return True
            parent = parent.parent_op
        return False

    def call(self, op: Operation) -> None:
        """The callee exists, is a function, and takes and returns what the call says."""
        if not op.symbols or self._nested(op):
            return
        ref = op.symbols[0]
        callee = self.symbols.get(ref)
        if callee is None or optable.info(callee).role != Role.FUNCTION:
            bare = ref[1:].strip('"')
            raise self.error(f"'{op.name}' op undefined/incompatible callee: {bare}",
                             self.at(op))
        if optable.info(op).affinity_aware:
            # flow.call / stream.async.call also pass dims and sizes: which operands are the
            # callee's arguments is the op table's to say (not recorded yet).
            return
        sig = self._signature(callee)
        inputs = [_type_of(v) for v in op.operands]
        results = [r.type for r in op.results]
        if sig.inputs is None:
            return
        if len(inputs) == len(sig.inputs) and not (_known(inputs) and _known(sig.inputs)):
            return  # the count is right and some type is not known
        want_results = sig.results
        if want_results is not None and not _known(want_results + results):
            want_results = None
        if _same_types(inputs, sig.inputs) and (want_results is None or
                                                _same_types(results, want_results)):
            return
        theirs = ("(" + ", ".join(sig.inputs) + ") -> ..." if want_results is None
                  else _function_type_text(sig.inputs, want_results))
        raise self.error(f"'{op.name}' op function type mismatch; expected "
                         f"'{_function_type_text([v.type for v in op.operands], results)}' "
                         f"but callee is '{theirs}'",
                         self.at(op))

    def returned(self, op: Operation) -> None:
        """A return gives the enclosing function's result types."""
        func = op.parent_op
        if func is None or optable.info(func).role != Role.FUNCTION:
            return
        results = self._signature(func).results
        if results is None:
            return
        if len(op.operands) != len(results):
            raise self.error(f"'{op.name}' op has {len(op.operands)} operands, but enclosing "
                             f"function-like op returns {len(results)}", self.at(op))
        for i, (value, want) in enumerate(zip(op.operands, results, strict=True)):
            have = _type_of(value)
            if have and want and _norm(have) != _norm(want):
                raise self.error(f"'{op.name}' op type of return operand {i} "
                                 f"('{have}') doesn't match function result type "
                                 f"('{want}')", self.at(op))

    def successors(self, op: Operation) -> None:
        """Each successor gets as many operands as its block has arguments, of their types."""
        for k, (target, (first, count)) in enumerate(zip(op.successors, op.successor_operands,
                                                         strict=True)):
            args = target.arguments
            if count != len(args):
                raise self.error(f"branch has {count} operands for successor #{k}, but target "
                                 f"block has {len(args)}", self.at(op))
            for j, (value, arg) in enumerate(zip(op.operands[first:first + count], args,
                                                 strict=True)):
                have = _type_of(value)
                if have and arg.type and _norm(have) != _norm(arg.type):
                    raise self.error(f"type mismatch for bb argument #{j} of successor #{k}",
                                     self.at(op))

