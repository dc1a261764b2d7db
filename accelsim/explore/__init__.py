"""Design-space exploration: sweep grids, point evaluation, the process pool, the result store, Pareto fronts.

Imports only packages before it in the flow (ir, io, hardware, model) and the bottom utilities."""
