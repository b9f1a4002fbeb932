"""Emitting replicated globals: one copy per chosen device (placement.transform.replicate).

`emit_replicas` rewrites the module so that every global the placement replicates has one
global per device of its replica set (the original pinned to the first, a copy for each other),
each use reading the copy of its consumer's device (else the copy with the cheapest link into
it). It returns the placement as the rewritten module must derive it: the original global on
its first device.
"""

from __future__ import annotations

from placement.ir.core import Module, Operation
from placement.ir.rewrite import Rewriter
from placement.place.cost import Assignment
from placement.place.problem import Problem
from placement.transform.replicate import replicate_global


def emit_replicas(module: Module, problem: Problem, place: Assignment,
                  rw: Rewriter) -> Assignment:
    """Replicate every global placed on several devices; the single-device placement left."""
    by_op = {id(d.subject): d.index for d in problem.decisions if not d.is_global}
    out = list(place)
    for d in problem.decisions:
        if not d.is_global or len(place[d.index]) < 2:
            continue
        replicas = list(place[d.index])
        texts = [problem.devices[k] for k in replicas]

        def device_of(op: Operation, replicas: list[int] = replicas) -> str | None:
            j = by_op.get(id(op))
            if j is None:
                return None
            dev = place[j][0]
            best = min(replicas, key=lambda r: (problem.weights[r][dev], replicas.index(r)))
            return problem.devices[best]

        replicate_global(module, d.subject, texts, device_of, keep=texts[0], rewriter=rw)
        out[d.index] = (replicas[0],)
    return out
