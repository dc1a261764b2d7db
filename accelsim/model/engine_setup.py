"""What an engine run sets up from its plan alone, kept on the plan (`Plan.memo`): the classes of
cores in lockstep and each layer's per-core work, the layers whose ends are waited for and the
prefetches. A sweep runs one plan at every bandwidth of its design, so this is worked out once per
design, not once per run (`accelsim.model.engine` runs it).
"""

from __future__ import annotations

from dataclasses import dataclass

from accelsim.model.layer_plan import Plan
from accelsim.model.schedule import Schedule


def lockstep_classes(p: Plan, lockstep: bool = True) -> list[tuple[int, ...]]:
    """The cores grouped by their work: cores that run the same layers with the same cycles.

    Such cores start every layer together and get equal shares of every resource (the arbitration
    is fair within a class), so they move in lockstep: the engine runs one task for each class and
    counts its claims `len(class)` times, which gives every core's times with a fraction of the events.
    Memoised on the plan (`Plan.memo`). `lockstep` False: every core a class of its own (tests
    compare the two).
    """
    if not lockstep:
        return [(c,) for c in range(p.accel.cores)]
    return p.memo("lockstep", lambda: _classes(p))


def _classes(p: Plan) -> list[tuple[int, ...]]:
    classes: dict[tuple[int | None, ...], list[int]] = {}
    for c in range(p.accel.cores):
        work = tuple(lp.core_cycles[c] if c < lp.split.cores_used else None for lp in p.layers)
        classes.setdefault(work, []).append(c)
    return sorted(tuple(cores) for cores in classes.values())


@dataclass(frozen=True, slots=True)
class Layout:
    """What an engine run sets up from its plan alone (`layout`): per layer, the per-core reads,
    writes and network bits, tiles, the tolerance, and ``(class, cores, compute)`` of each class
    that runs it; which layers' ends are waited for; the prefetches ``(layer, kind, bits, after)``."""

    classes: list[tuple[int, ...]]
    used: tuple[int, ...]
    layers: tuple[tuple[float, float, float, int, float, tuple[tuple[int, tuple[int, ...], int], ...]], ...]
    waited: tuple[bool, ...]
    prefetches: tuple[tuple[int, str, float, tuple[int, ...]], ...]


def layout(p: Plan, sched: Schedule, first: bool, moving: bool, noc_limited: bool, lockstep: bool) -> Layout:
    """The run's set-up, kept on the plan (`Plan.memo`) by what it reads of the design beyond the plan
    (whether data moves at all, whether the network limits it): a sweep runs one plan at every
    bandwidth of its design."""
    return p.memo(
        ("engine layout", first, moving, noc_limited, lockstep),
        lambda: _lay_out(p, sched, first, moving, noc_limited, lockstep),
        sched,
    )


def _lay_out(p: Plan, sched: Schedule, first: bool, moving: bool, noc_limited: bool, lockstep: bool) -> Layout:
    classes = lockstep_classes(p, lockstep)
    layers = []
    for lp in p.layers:
        traffic = lp.first_traffic if first else lp.traffic
        used = lp.split.cores_used
        reads = traffic.read_bits / used if moving else 0.0
        writes = traffic.write_bits / used if moving else 0.0
        noc_bits = lp.noc_bits / used if moving and noc_limited else 0.0
        eps = 1e-9 * max(1.0, reads + writes)
        # a class's cores are all used by a layer, or none is
        members = tuple((k, cores, lp.core_cycles[cores[0]]) for k, cores in enumerate(classes) if cores[0] < used)
        layers.append((reads, writes, noc_bits, max(1, lp.tiles), eps, members))
    waited = {j for row in sched.wait_all for j in row}  # only these layers' ends are events
    prefetches: list[tuple[int, str, float, tuple[int, ...]]] = []
    if moving:
        for li, room in enumerate(sched.prefetch):
            if room.weight_bits:
                prefetches.append((li, "weights", float(room.weight_bits), ()))
            if room.input_bits:
                prefetches.append((li, "inputs", float(room.input_bits), sched.offchip_inputs[li]))
    return Layout(
        classes,
        tuple(lp.split.cores_used for lp in p.layers),
        tuple(layers),
        tuple(li in waited for li in range(len(p.layers))),
        tuple(prefetches),
    )


__all__ = ["Layout", "layout", "lockstep_classes"]
