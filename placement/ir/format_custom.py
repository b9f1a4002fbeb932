"""Custom directives of op formats (`custom<Name>(...)` in `placement.ops.FORMATS`).

Each directive is a small class with `parse` (over the parser's tokens, binding operands,
types, attributes and regions into the op's `OpState`) and `print` (from a `PrintState`).
They transcribe the custom syntax of IREE's and MLIR's ops: symbol visibility, shaped
function types with ties (`-> %x`), resource regions, function signatures, scf loops, ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from placement.ir.format import OpState, PrintState

if TYPE_CHECKING:
    from placement.ir.core import Value
    from placement.ir.parser import ArgDecl, Parser
    from placement.ir.printer import Out

Args = list[tuple[str, str]]


def _names(args: Args) -> list[str]:
    return [name for _, name in args]


def _bind(p: Parser, st: OpState, group: str) -> Value:
    st.operand_offsets.setdefault(group, []).append(p.offset())
    value = p.parse_operand()
    st.operands.setdefault(group, []).append(value)
    return value


def _bind_type(p: Parser, st: OpState, group: str) -> str:
    ty = p.parse_type()
    st.types.setdefault(group, []).append((ty, p.last_offset))
    return ty


def _dims(p: Parser, st: OpState, group: str) -> None:
    """An optional `{%a, %b}` list of dims/sizes (not a region: values only)."""
    if not p.at_dims():
        return
    p.expect("{")
    if not p.accept("}"):
        while True:
            _bind(p, st, group)
            if not p.accept(","):
                break
        p.expect("}")


def _touch(st: OpState, *groups: str) -> None:
    for group in groups:
        st.operands.setdefault(group, [])
        st.operand_offsets.setdefault(group, [])


class Directive:
    """Base: optional directives override `can_start`/`present`."""

    def can_start(self, p: Parser, st: OpState, args: Args) -> bool:
        return True

    def present(self, st: PrintState, args: Args) -> bool:
        return True

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        raise NotImplementedError

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        raise NotImplementedError


class SymbolVisibility(Directive):
    """`private` / `public` / `nested` (absent: public)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        for word in ("private", "public", "nested"):
            if p.accept(word):
                st.op.syntax_attrs[args[0][1]] = f'"{word}"'
                return

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        vis = st.attrs.get(args[0][1])
        if vis is not None:
            out.word(vis.strip('"'))


class TypeOrAttr(Directive):
    """util.global: `: T`, or `= value` (typed), or `= value : T`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        type_name, value_name = _names(args)
        attrs = st.op.syntax_attrs
        if p.accept("="):
            text, typ = p.parse_attribute("typed")
            attrs[value_name] = text
            attrs[type_name] = typ or ""
            if not typ:
                raise p.error("expected ':' and the global's type")
            return
        p.expect(":")
        attrs[type_name] = p.parse_type()

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        type_name, value_name = _names(args)
        if value_name in st.attrs:
            out.punct("=")
            out.word(st.attrs[value_name])
        else:
            out.punct(":")
            out.word(st.attrs.get(type_name, ""))


class SymbolAlias(Directive):
    """`@name` or `@name as(@function)`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        sym_name, ref = _names(args)
        text, _ = p.parse_attribute("symname")
        st.op.syntax_attrs[sym_name] = text
        st.op.symbols.append("@" + text.strip('"'))
        if p.accept("as"):
            p.expect("(")
            target, _ = p.parse_attribute("symref")
            p.expect(")")
            st.op.syntax_attrs[ref] = target
            st.op.symbols.append(target)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        sym_name, ref = _names(args)
        name = "@" + st.attrs.get(sym_name, '""').strip('"')
        out.word(name)
        target = st.attrs.get(ref)
        if target is not None and target != name:
            out.word("as")
            out.tight()
            out.punct("(")
            out.word(target)
            out.punct(")")


class WorkgroupCountRegion(Directive):
    """Optional `workgroups(%a: index, ...) -> (index, index, index) {region}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        name = args[0][1]
        if not p.accept("workgroups"):
            st.regions.setdefault(name, [])
            return
        decls = _arg_list(p)
        p.expect("->")
        p.parse_result_type_list()
        st.regions.setdefault(name, []).append(p.parse_region(st.op, decls, True))

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        regions = st.regions.get(args[0][1], [])
        if not regions or not regions[0].blocks:
            return
        out.word("workgroups")
        out.tight()
        out.block_args(regions[0])
        out.punct("->")
        out.word("(index, index, index)")
        out.region(regions[0], entry_args=False)


def _arg_list(p: Parser) -> list[ArgDecl]:
    return p.paren_list(p.parse_arg_decl)


class DispatchEntryPoints(Directive):
    """`@ex::@entry` or `{@ex::@a, @ex::@b}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        refs = []
        if p.accept("{"):
            while True:
                refs.append(p.parse_attribute("symref")[0])
                if not p.accept(","):
                    break
            p.expect("}")
        else:
            refs.append(p.parse_attribute("symref")[0])
        st.op.syntax_attrs[args[0][1]] = "[" + ", ".join(refs) + "]"
        st.op.symbols.extend(refs)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        refs = st.attrs.get(args[0][1], "[]")[1:-1].split(", ")
        if len(refs) == 1:
            out.word(refs[0])
        else:
            out.word("{" + ", ".join(refs) + "}")


def _tied_or_type(p: Parser, st: OpState, operands: str, index: int) -> str:
    """`%x` (tied to that operand), `%x as T`, or `T` of one result entry."""
    if p.at_value():
        off = p.offset()
        name = p.texts[p.pos]
        p.pos += 1
        values = st.operands.get(operands, [])
        match = next((i for i, v in enumerate(values) if v.name == name), None)
        if match is None:
            raise p.error_at(f"tied operand not found for result reference {name}", off)
        st.tied[index] = (name, values[match])
        if p.accept("as"):
            return p.parse_type()
        written = st.types.get(operands)
        return written[match][0] if written and match < len(written) else values[match].type
    return p.parse_type()


def _shaped_results(p: Parser, st: OpState, operands: str, results: str,
                    dims: str | None) -> None:
    """`T{%d}`, `%x{%d}`, `%x as T` or a parenthesized list of them (maybe `()`)."""
    rtypes = st.types.setdefault(results, [])
    paren = p.at("(") and not p.arrow_after_group()
    if paren:
        p.pos += 1
        if p.accept(")"):
            return
    index = 0
    while True:
        off = p.offset()
        rtypes.append((_tied_or_type(p, st, operands, index), off))
        if dims is not None:
            _dims(p, st, dims)
        index += 1
        if not paren or not p.accept(","):
            break
    if paren:
        p.expect(")")


class ShapedFunctionType(Directive):
    """`(T{%d}, T) -> (T{%d}, %x, %y as T)` (flow.dispatch, util.call-like ops)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        names = _names(args)
        operands, operand_dims, results, result_dims = names[0], names[2], names[3], names[4]
        _touch(st, operand_dims, result_dims)
        p.expect("(")
        if not p.accept(")"):
            while True:
                _bind_type(p, st, operands)
                _dims(p, st, operand_dims)
                if not p.accept(","):
                    break
            p.expect(")")
        p.expect("->")
        _shaped_results(p, st, operands, results, result_dims)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        names = _names(args)
        out.shaped_function_type(st, names[0], names[2], names[3], names[4])


class EncodedShapedFunctionType(Directive):
    """stream.tensor.dispatch: `(T{%d} in !res{%s}, index) -> T in %x{%s}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        (operands, _, operand_sizes, operand_encodings, operand_encoding_dims, results,
         result_sizes, result_encodings, result_encoding_dims, _) = _names(args)
        _touch(st, operand_sizes, operand_encoding_dims, result_sizes, result_encoding_dims)
        encodings: list[str] = []
        p.expect("(")
        if not p.accept(")"):
            while True:
                enc = p.parse_type()
                off = p.last_offset
                _dims(p, st, operand_encoding_dims)
                if p.accept("in"):
                    ty = p.parse_type()
                    _dims(p, st, operand_sizes)
                else:
                    ty = enc
                encodings.append(enc)
                st.types.setdefault(operands, []).append((ty, off))
                if not p.accept(","):
                    break
            p.expect(")")
        p.expect("->")
        st.op.syntax_attrs[operand_encodings] = "[" + ", ".join(encodings) + "]"
        rtypes = st.types.setdefault(results, [])
        renc: list[str] = []
        paren = p.accept("(")
        if not (paren and p.accept(")")):
            index = 0
            while True:
                off = p.offset()
                enc = p.parse_type()
                _dims(p, st, result_encoding_dims)
                p.expect("in")
                rtypes.append((_tied_or_type(p, st, operands, index), off))
                _dims(p, st, result_sizes)
                renc.append(enc)
                index += 1
                if not paren or not p.accept(","):
                    break
            if paren:
                p.expect(")")
        st.op.syntax_attrs[result_encodings] = "[" + ", ".join(renc) + "]"


class ShapedTiedResult(Directive):
    """`%x as T{%size}` or `T{%size}`: the tied result of fill/update/copy ops."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        target, size = _names(args)
        if p.at_value():
            p.pos += 1
            p.expect("as")
        _bind_type(p, st, target)
        _touch(st, size)
        _dims(p, st, size)

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        target, size = _names(args)
        values = st.groups.get(target, [])
        if values:
            out.values(values)
            out.word("as")
            out.word(values[0].type)
        out.dims(st.groups.get(size, []), always=True)


def _sized_type(p: Parser, st: OpState, types: str, sizes: str) -> str:
    ty = _bind_type(p, st, types)
    _dims(p, st, sizes)
    return ty


class ResourceRegion(Directive):
    """stream.async.execute: `(%r as %x: T{%s}, ...) -> (T{%s}, %x{%s}) {region}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        (operands, _, operand_sizes, results, result_sizes, _, body) = _names(args)
        _touch(st, operands, operand_sizes, result_sizes)
        decls = _resource_args(p, st, operands, operand_sizes)
        if p.accept("->"):
            _shaped_results(p, st, operands, results, result_sizes)
        st.types.setdefault(results, [])
        st.regions.setdefault(body, []).append(p.parse_region(st.op, decls, False))


def _resource_args(p: Parser, st: OpState, operands: str, sizes: str) -> list[ArgDecl]:
    def item() -> ArgDecl:
        _bind(p, st, operands)
        p.expect("as")
        name, _, off = p.parse_arg_decl(with_type=False)
        p.expect(":")
        return name, _sized_type(p, st, operands, sizes), off

    return p.paren_list(item)


class ExplicitResourceRegion(Directive):
    """stream.cmd.execute: `(%r as %x: T{%s}, ...) {region}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        operands, _, sizes, body = _names(args)
        _touch(st, operands, sizes)
        decls = _resource_args(p, st, operands, sizes)
        st.regions.setdefault(body, []).append(p.parse_region(st.op, decls, False))


class ShapedTypeList(Directive):
    """`T{%s}, T{%s}` (stream.yield) or with the results mirroring them (timepoint.await)."""

    def can_start(self, p: Parser, st: OpState, args: Args) -> bool:
        return p.at_type()

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        names = _names(args)
        types, sizes = names[0], names[-1]
        mirror = names[1] if len(names) == 3 else None
        _touch(st, sizes)
        while True:
            ty = _sized_type(p, st, types, sizes)
            if mirror is not None:
                st.types.setdefault(mirror, []).append((ty, p.last_offset))
            if not p.accept(","):
                break

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        names = _names(args)
        out.sized_types(st.groups.get(names[0], []), st.groups.get(names[-1], []))


class PackSliceRanges(Directive):
    """`[0, 1] = %size, [1, 2] = %size,` (stream.resource.pack)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        intervals, sizes, offsets = _names(args)
        _touch(st, sizes)
        bounds: list[str] = []
        count = 0
        while p.at("["):
            p.pos += 1
            bounds.append(p.parse_attribute("any")[0])
            p.expect(",")
            bounds.append(p.parse_attribute("any")[0])
            p.expect("]")
            p.expect("=")
            _bind(p, st, sizes)
            count += 1
            if not p.accept(","):
                break
        st.op.syntax_attrs[intervals] = "[" + ", ".join(bounds) + "]"
        st.types.setdefault(offsets, []).extend([("index", p.offset())] * count)


class ConstantValueList(Directive):
    """`T{%s} = value : type, ...` (stream.resource.constants)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        results, sizes, values = _names(args)
        _touch(st, sizes)
        texts = []
        while True:
            off = p.offset()
            st.types.setdefault(results, []).append((p.parse_type(), off))
            _dims(p, st, sizes)
            p.expect("=")
            texts.append(p.parse_attribute("typed")[0])
            if not p.accept(","):
                break
        st.op.syntax_attrs[values] = "[" + ", ".join(texts) + "]"


class DispatchResources(Directive):
    """`rw %r[%offset for %length] : T{%size}, ...` (stream.cmd.dispatch)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        resources, _, sizes, offsets, lengths, accesses = _names(args)
        _touch(st, resources, sizes, offsets, lengths)
        modes = []
        while p.kinds[p.pos] == "bare" and p.texts[p.pos] in ("ro", "wo", "rw"):
            modes.append(p.texts[p.pos])
            p.pos += 1
            _bind(p, st, resources)
            p.expect("[")
            _bind(p, st, offsets)
            p.expect("for")
            _bind(p, st, lengths)
            p.expect("]")
            p.expect(":")
            _sized_type(p, st, resources, sizes)
            if not p.accept(","):
                break
        st.op.syntax_attrs[accesses] = "[" + ", ".join(modes) + "]"


class DispatchOperands(Directive):
    """`(%a[%o to %e for %l], %n)` (stream.async.call)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        operands, offsets, ends, lengths = _names(args)
        _touch(st, operands, offsets, ends, lengths)
        def item() -> None:
            _bind(p, st, operands)
            if p.accept("["):
                _bind(p, st, offsets)
                p.expect("to")
                _bind(p, st, ends)
                p.expect("for")
                _bind(p, st, lengths)
                p.expect("]")

        p.paren_list(item)


class CollectiveParam(Directive):
    """Optional `source(%p)` / `target(%p)` of stream.async.collective."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        param = args[1][1]
        _touch(st, param)
        for word in ("source", "target"):
            if p.at(word) and p.texts[p.pos + 1] == "(":
                p.pos += 2
                _bind(p, st, param)
                p.expect(")")
                return


class TypeAlias(Directive):
    """`T` or `Tencoding as Tstorage` (hal.tensor.import/export)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        (_, encoding), (_, group) = args
        off = p.offset()
        enc = p.parse_type()
        storage = enc
        if p.accept("as"):
            storage = p.parse_type()
        st.op.syntax_attrs[encoding] = enc
        st.types.setdefault(group, []).append((storage, off))


class DynamicIndexList(Directive):
    """`[0, %x, 4]`: static integers and dynamic values."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        values, static = _names(args)
        _touch(st, values)
        items = []
        p.expect("[")
        if not p.accept("]"):
            while True:
                if p.at_value():
                    _bind(p, st, values)
                    items.append("-9223372036854775808")
                else:
                    items.append(p.parse_attribute("any")[0])
                if not p.accept(","):
                    break
            p.expect("]")
        st.op.syntax_attrs[static] = "array<i64" + (": " if items else "") + \
            ", ".join(items) + ">"


class ResultTypes(Directive):
    """`T` or `(T, T)` of an op's results after an arrow (scf.if, func types)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        st.types.setdefault(args[0][1], []).extend(p.parse_result_type_list())

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        out.result_types([r.type for r in st.result_groups.get(args[0][1], [])])


class FunctionSignature(Directive):
    """`(%a: T {attrs}, ...) -> (T {attrs}, %a)` of func.func / util.func and the stream
    function declarations (`(T, T)` without names when there is no body; `%r[%o for %l]: T`
    sub-range arguments of stream.cmd.func). Argument names become the body's arguments."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        ftype, body = _names(args)
        start = p.pos
        p.expect("(")
        decls: list[ArgDecl] = []
        arg_types: list[str] = []
        if not p.accept(")"):
            while True:
                if p.at_value():
                    name, _, off = p.parse_arg_decl(with_type=False)
                    if p.accept("["):  # %r[%offset for %length]
                        p.parse_arg_decl(with_type=False)
                        p.expect("for")
                        p.parse_arg_decl(with_type=False)
                        p.expect("]")
                    p.expect(":")
                    ty = p.parse_type()
                    p.skip_dict()
                    p.skip_loc()
                    decls.append((name, ty, off))
                else:
                    ty = p.parse_type()
                    p.skip_dict()
                arg_types.append(ty)
                if not p.accept(","):
                    break
            p.expect(")")
        results: list[str] = []
        if p.accept("->"):
            paren = p.at("(") and not p.arrow_after_group()
            if paren:
                p.pos += 1
            if not (paren and p.accept(")")):
                index = 0
                while True:
                    if p.at_value():
                        tied = p.texts[p.pos]
                        p.pos += 1
                        match = next((i for i, d in enumerate(decls) if d[0] == tied), None)
                        if match is None:
                            raise p.error(f"tied operand not found for result reference "
                                          f"{tied}", p.pos - 1)
                        st.op.tied[index] = match
                        ty = p.parse_type() if p.accept("as") else arg_types[match]
                    else:
                        ty = p.parse_type()
                    if paren:
                        p.skip_dict()
                    results.append(ty)
                    index += 1
                    if not paren or not p.accept(","):
                        break
                if paren:
                    p.expect(")")
        st.op.syntax_attrs[ftype] = "(" + ", ".join(arg_types) + ") -> " + (
            results[0] if len(results) == 1 and not results[0].startswith("(")
            else "(" + ", ".join(results) + ")")
        st.op.syntax.signature = p.source_text(start, p.pos)
        st.entry_args[body] = decls


class ScfFor(Directive):
    """`%i = %lb to %ub step %s (: T)? (iter_args(%a = %init, ...) -> (T, ...))? {body}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        lb, ub, step, inits, results, body = _names(args)
        iv, _, iv_off = p.parse_arg_decl(with_type=False)
        p.expect("=")
        _bind(p, st, lb)
        p.expect("to")
        _bind(p, st, ub)
        p.expect("step")
        _bind(p, st, step)
        iv_type = "index"
        if p.accept(":"):
            iv_type = p.parse_type()
            for group in (lb, ub, step):
                st.types[group] = [(iv_type, p.last_offset)]
        decls: list[ArgDecl] = [(iv, iv_type, iv_off)]
        _touch(st, inits)
        iter_names: list[tuple[str, int]] = []
        if p.accept("iter_args"):
            p.expect("(")
            while True:
                name, _, off = p.parse_arg_decl(with_type=False)
                p.expect("=")
                _bind(p, st, inits)
                iter_names.append((name, off))
                if not p.accept(","):
                    break
            p.expect(")")
            p.expect("->")
            rtypes = p.parse_result_type_list()
            st.types[results] = rtypes
            st.types[inits] = list(rtypes)
            decls += [(n, t, off) for (n, off), (t, _) in zip(iter_names, rtypes, strict=False)]
        st.types.setdefault(results, [])
        st.regions.setdefault(body, []).append(p.parse_region(st.op, decls, False))


class ScfWhile(Directive):
    """`(%a = %init, ...) : (T) -> (T) {before} do {after}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        inits, results, before, after = _names(args)
        _touch(st, inits)
        names: list[tuple[str, int]] = []
        if p.accept("("):
            if not p.accept(")"):
                while True:
                    name, _, off = p.parse_arg_decl(with_type=False)
                    p.expect("=")
                    _bind(p, st, inits)
                    names.append((name, off))
                    if not p.accept(","):
                        break
                p.expect(")")
        p.expect(":")
        types = p.paren_list(p.typed)
        st.types[inits] = types
        p.expect("->")
        st.types[results] = p.parse_result_type_list()
        decls = [(n, t, off) for (n, off), (t, _) in zip(names, types, strict=False)]
        st.regions.setdefault(before, []).append(p.parse_region(st.op, decls, False))
        p.expect("do")
        st.regions.setdefault(after, []).append(p.parse_region(st.op, [], False))


class SwitchCases(Directive):
    """cf.switch: `default: ^bb(%a : T), 0: ^bb1(...), ...`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        default_ops, case_values, case_ops = _names(args)
        _touch(st, default_ops, case_ops)
        p.expect("default")
        p.expect(":")
        self._dest(p, st, default_ops)
        values = []
        while p.accept(","):
            negative = p.accept("-")
            values.append(("-" if negative else "") + p.texts[p.pos])
            p.pos += 1
            p.expect(":")
            self._dest(p, st, case_ops)
        if values:
            st.op.syntax_attrs[case_values] = "dense<[" + ", ".join(values) + "]> : vector<" + \
                f"{len(values)}xi32>"

    @staticmethod
    def _dest(p: Parser, st: OpState, group: str) -> None:
        block = p.parse_successor()
        first = len(st.operands.get(group, []))
        values = []
        if p.accept("("):
            while True:
                values.append(_bind(p, st, group))
                if not p.accept(","):
                    break
            p.expect(":")
            for value in values:
                p.check_type(value, p.parse_type(), p.last_offset)
                if not p.accept(","):
                    break
            p.expect(")")
        st.successors.append((block, group, first, len(values)))


class SelectTypes(Directive):
    """arith.select: `: T` or `: i1, T` (a vector condition's type first)."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        cond, result = _names(args)
        first = p.parse_type()
        off = p.last_offset
        if p.accept(","):
            st.types[cond] = [(first, off)]
            first = p.parse_type()
            off = p.last_offset
        st.types[result] = [(first, off)]

    def print(self, out: Out, st: PrintState, args: Args) -> None:
        cond, result = _names(args)
        ctype = st.groups.get(cond, [])
        if ctype and ctype[0].type != "i1":
            out.types([ctype[0].type])
            out.punct(",")
        out.types([r.type for r in st.result_groups.get(result, [])])


class TiedFunctionResults(Directive):
    """util.call: `(T, T) -> (T, %a)`: operand types, then results that may name operands."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        operands, results = _names(args)
        p.paren_list(lambda: _bind_type(p, st, operands))
        p.expect("->")
        _shaped_results(p, st, operands, results, None)


class CountRegion(Directive):
    """flow.dispatch.region: optional `count(%a: index, ...) -> (index, index, index) {..}`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        name = args[0][1]
        st.regions.setdefault(name, [])
        if not p.accept("count"):
            return
        decls = _arg_list(p)
        p.expect("->")
        p.parse_result_type_list()
        st.regions[name].append(p.parse_region(st.op, decls, False))


class ShapedResults(Directive):
    """`(T{%d}, T)` of flow.dispatch.region's results."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        results, dims = _names(args)
        _touch(st, dims)
        p.expect("(")
        if p.accept(")"):
            st.types.setdefault(results, [])
            return
        while True:
            _sized_type(p, st, results, dims)
            if not p.accept(","):
                break
        p.expect(")")


class GenericBody(Directive):
    """linalg.generic: `ins(..) outs(..) (attrs = {...})? {region}`; the trait dictionary
    (`{indexing_maps = ...}`) before it is the op's attribute dictionary."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        inputs, outputs, body = _names(args)
        _ins_outs(p, st, inputs, outputs)
        if p.accept("attrs"):
            p.expect("=")
            p.parse_attribute("any")
        st.regions.setdefault(body, []).append(p.parse_region(st.op, [], False))


def _ins_outs(p: Parser, st: OpState, inputs: str, outputs: str) -> None:
    _touch(st, inputs, outputs)
    for word, group in (("ins", inputs), ("outs", outputs)):
        if not p.accept(word):
            continue
        p.expect("(")
        if p.accept(")"):
            continue
        while True:
            _bind(p, st, group)
            if not p.accept(","):
                break
        p.expect(":")
        while True:
            _bind_type(p, st, group)
            if not p.accept(","):
                break
        p.expect(")")


class InsOuts(Directive):
    """Named linalg ops: `ins(%a, %b : T, T) outs(%c : T)`."""

    def parse(self, p: Parser, st: OpState, args: Args) -> None:
        inputs, outputs = _names(args)
        _ins_outs(p, st, inputs, outputs)


CUSTOM: dict[str, Any] = {
    "SymbolVisibility": SymbolVisibility(),
    "TypeOrAttr": TypeOrAttr(),
    "SymbolAlias": SymbolAlias(),
    "WorkgroupCountRegion": WorkgroupCountRegion(),
    "DispatchEntryPoints": DispatchEntryPoints(),
    "ShapedFunctionType": ShapedFunctionType(),
    "EncodedShapedFunctionType": EncodedShapedFunctionType(),
    "ShapedTiedResult": ShapedTiedResult(),
    "ResourceRegion": ResourceRegion(),
    "ExplicitResourceRegion": ExplicitResourceRegion(),
    "ShapedTypeList": ShapedTypeList(),
    "PackSliceRanges": PackSliceRanges(),
    "ConstantValueList": ConstantValueList(),
    "DispatchResources": DispatchResources(),
    "DispatchOperands": DispatchOperands(),
    "CollectiveParam": CollectiveParam(),
    "TypeAlias": TypeAlias(),
    "DynamicIndexList": DynamicIndexList(),
    "ResultTypes": ResultTypes(),
    "FunctionSignature": FunctionSignature(),
    "ScfFor": ScfFor(),
    "ScfWhile": ScfWhile(),
    "SwitchCases": SwitchCases(),
    "SelectTypes": SelectTypes(),
    "TiedFunctionResults": TiedFunctionResults(),
    "CountRegion": CountRegion(),
    "ShapedResults": ShapedResults(),
    "GenericBody": GenericBody(),
    "InsOuts": InsOuts(),
}
