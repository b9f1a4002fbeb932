"""`placement place`: a cost-optimal concrete placement (one device per op, a device or replicas
per global), chosen with CP-SAT over a documented cost model (docs/place.md).

Modules: `problem` (decisions, value flows, sizes, from the IR and the fixpoint Solution),
`cost` (the cost model and its exact evaluation), `baselines` (IREE's rule, one device, greedy),
`pins` (the smallest `stream.affinity` pins that make the analysis derive the choice), `report`
(table, JSON, dot). The CP-SAT model is `placement.model.place_cpsat`.
"""
