"""The cost model: per-layer mapping (pure cost functions), on-chip residency, the simpy event run,
energy and the result records. `simulate(graph, accel)` is the entry point (`accelsim.model.sim`).

Imports only `accelsim.ir`, `accelsim.io`, `accelsim.hardware`, `tech` and the bottom utilities."""
