"""Running a compiled program on this machine's CPU with `iree-run-module`.

Inputs and parameters hold seeded small integers (-2..2, in the tensor's element type): every
sum of products in these programs then stays an exact integer below 2^24, so any reduction
order (any data layout) gives the same bits, and a difference between two programs is a
layout or compile bug, never rounding. Parameters are written to a safetensors file and
passed as `--parameters=model=params.safetensors` (the scope of each
`#stream.parameter.named<"scope"::"key">`).

Entry points, parameters and targets are read from the stream-level module the unify pass
sees (its printed text: the `iree.abi.declaration` of each public function, the parameter
constants, the executable targets).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass

import numpy as np

from placement.e2e.tools import ToolResult, run_tool

DYNAMIC_DIM = 3  # the extent given to a dynamic dim of an input

_DTYPES = {"f32": (np.float32, "F32"), "f16": (np.float16, "F16"), "f64": (np.float64, "F64"),
           "i8": (np.int8, "I8"), "i16": (np.int16, "I16"), "i32": (np.int32, "I32"),
           "i64": (np.int64, "I64"), "ui8": (np.uint8, "U8")}
_DECL = re.compile(r'iree\.abi\.declaration = "sync func @([\w$.-]+)\((.*?)\) -> \((.*?)\)"')
_TENSOR = re.compile(r"tensor<((?:[0-9?]+x)*)(\w+)>")
_PARAM = re.compile(r'#stream\.parameter\.named<"([^"]*)"::"([^"]*)"> : tensor<((?:\d+x)*)(\w+)>')
_EXE_TARGET = re.compile(r'#hal\.executable\.target<"([\w-]+)", "([\w-]+)"(?:, \{(.*?)\})?>')
_DEVICE_TARGET = re.compile(r'#hal\.device\.target<"([\w-]+)"')
_DEVICE_GLOBAL = re.compile(
    r"^\s*util\.global [^\n]*@[\w$.-]+ = #(?:device_target|hal\.device\.target)", re.MULTILINE)
_FEATURES = re.compile(r'cpu_features = "([^"]*)"')


@dataclass(frozen=True)
class TensorSpec:
    """A static tensor type: shape and element type name."""

    shape: tuple[int, ...]
    element: str

    def values(self, seed: str) -> np.ndarray:
        """Seeded integers in -2..2 of this type (seed: any text)."""
        dtype = _DTYPES[self.element][0]
        digest = hashlib.sha256(seed.encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        low = 0 if self.element.startswith("ui") else -2
        return rng.integers(low, 3, size=self.shape).astype(dtype)


@dataclass(frozen=True)
class EntryPoint:
    """A public function: name, input tensors (dynamic dims made static), output count."""

    name: str
    inputs: tuple[TensorSpec, ...]
    outputs: int


def _tensor(dims: str, element: str) -> TensorSpec:
    shape = tuple(DYNAMIC_DIM if d == "?" else int(d) for d in dims.split("x") if d)
    return TensorSpec(shape, element)


def entry_points(module_text: str) -> list[EntryPoint]:
    """The public functions of a stream-level module, from their ABI declarations."""
    out = []
    for m in _DECL.finditer(module_text):
        ins = tuple(_tensor(t.group(1), t.group(2)) for t in _TENSOR.finditer(m.group(2)))
        outs = len(_TENSOR.findall(m.group(3)))
        out.append(EntryPoint(m.group(1), ins, outs))
    return out


def parameters(module_text: str) -> dict[str, dict[str, TensorSpec]]:
    """scope -> key -> tensor of every named parameter the module reads."""
    out: dict[str, dict[str, TensorSpec]] = {}
    for m in _PARAM.finditer(module_text):
        out.setdefault(m.group(1), {})[m.group(2)] = _tensor(m.group(3), m.group(4))
    return out


def safetensors(tensors: dict[str, np.ndarray]) -> bytes:
    """A safetensors file holding `tensors` (name -> array), names in sorted order."""
    header: dict[str, object] = {}
    blobs: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        data = arr.tobytes()
        code = next(c for n, (t, c) in _DTYPES.items() if np.dtype(t) == arr.dtype)
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def host_cpu_features() -> frozenset[str]:
    """CPU features this machine has, as `iree-cpuinfo` names them."""
    result = run_tool("iree-cpuinfo", [])
    return frozenset(line.split()[0] for line in result.stdout.splitlines()
                     if len(line.split()) == 2 and line.split()[1] == "1")


@functools.lru_cache(maxsize=1)
def _known_cpu_features() -> frozenset[str]:
    result = run_tool("iree-cpuinfo", [])
    return frozenset(line.split()[0] for line in result.stdout.splitlines() if line.split())


def not_runnable(module_text: str) -> str:
    """Why this machine cannot run the module's programs ("" when it can)."""
    devices = set(_DEVICE_TARGET.findall(module_text))
    if not devices:
        return "no device target"
    if devices != {"local"}:
        return "device(s) " + ", ".join(sorted(devices - {"local"})) + " are not local CPUs"
    for backend, _fmt, config in _EXE_TARGET.findall(module_text):
        if backend == "vmvx":
            continue
        if backend != "llvm-cpu":
            return f"backend {backend} does not run here"
        fm = _FEATURES.search(config or "")
        wanted = {f[1:] for f in (fm.group(1).split(",") if fm else []) if f.startswith("+")}
        lacking = sorted((wanted & _known_cpu_features()) - host_cpu_features())
        if lacking:
            return "this CPU lacks " + ", ".join(lacking)
    return ""


def device_count(module_text: str) -> int:
    """How many device globals the module declares (at least 1)."""
    return max(1, len(_DEVICE_GLOBAL.findall(module_text)))


def run_function(vmfb: bytes, entry: EntryPoint, params: bytes,
                 devices: int = 1) -> tuple[ToolResult, list[bytes]]:
    """Run one entry point on seeded inputs, with one `local-sync` device per device of the
    module; the result and each output as `.npy` bytes."""
    files = {"module.vmfb": vmfb, "params.safetensors": params}
    args = ["--device=local-sync"] * devices + ["--module=module.vmfb",
            "--parameters=model=params.safetensors", f"--function={entry.name}"]
    for i, spec in enumerate(entry.inputs):
        files[f"in{i}.npy"] = _npy(spec.values(f"{entry.name}:{i}"))
        args.append(f"--input=@in{i}.npy")
    outs = tuple(f"out{i}.npy" for i in range(entry.outputs))
    args.extend(f"--output=@{o}" for o in outs)
    result = run_tool("iree-run-module", args, files, outputs=outs)
    return result, [result.outputs.get(o, b"") for o in outs]


def parameter_file(module_text: str) -> bytes:
    """The safetensors file of the module's parameters (seeded by key)."""
    scopes = parameters(module_text)
    tensors = {key: spec.values(f"param:{key}")
               for keys in scopes.values() for key, spec in keys.items()}
    return safetensors(tensors)
