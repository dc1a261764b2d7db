"""The event engine: cores as processes on simpy's events (one per class of cores in lockstep),
the external channel and the on-chip network as shared, arbitrated resources, and cross-layer
prefetch (docs/model.md, "The event engine").

**Work.** Core ``c``'s part of layer ``l`` (a *task*) has three phases:

1. *fill*: its first physical tile's reads (``reads / tiles``) arrive before the array starts —
   less whatever was prefetched;
2. *body*: compute (the core's analytical cycles) with the rest of its reads and writes and its
   on-chip-network bits moving alongside, double-buffered. Between two events every rate is
   constant, so the body advances in closed form: its progress rate is the least of the array's
   (one cycle of work per cycle), the channel share over the body's bits per cycle of work, and
   the network share over its network bits per cycle of work. Nothing is cut into an internal
   number of pieces: events happen only where a rate changes (a task starts or ends a phase, a
   prefetch starts or ends), so no result depends on a granularity constant;
3. *drain*: its last physical tile's writes leave after the array stops.

**Arbitration** (deterministic, fixed priority by class, fair within a class): the channel's
bandwidth goes first to demand loads (fills and bodies: a core that waits for them is stalled),
shared max-min fairly — the fluid limit of a round-robin arbiter — a body never taking more than
it can use at full compute speed; then to stores (drains), equally; then what is left to at most
one prefetch at a time, earliest consumer layer first (weights before inputs). Prefetch only ever
takes bandwidth that demand leaves idle, so it never delays demand at the instant it runs. The
on-chip network is shared max-min fairly by the bodies that move bits over it; with
``bw_gb_per_s = inf`` the whole memory system is unconstrained (channel and network) and a run
is its compute-only time exactly.

Dependencies and the prefetch reservation come from `accelsim.model.schedule`.

Why one module of ~590 lines: it is one state machine (`_Engine`): phase changes, arbitration
(`allocate`), progress (`advance`/`settle`) and the next event (`set_timer`) share the invariants
above, which splitting them across modules would hide; the schedule and what a run sets up from its
plan (`accelsim.model.engine_setup`) are modules of their own.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import simpy

from accelsim.model.engine_setup import layout
from accelsim.model.layer_plan import Plan
from accelsim.model.schedule import Schedule

#: Relative tolerance under which two finish times are the same event (float sums of rates).
_SAME_TIME = 1e-12


#: The same bounds, precomputed (the timer compares every flow's end against them).
_EARLIER, _LATER = 1 - _SAME_TIME, 1 + _SAME_TIME


@dataclass(slots=True)
class _Task:
    layer: int
    cores: tuple[int, ...]  # the cores that run this task in lockstep (`engine_setup.lockstep_classes`)
    compute: int
    reads: float  # per-core share of the layer's off-chip reads (bits)
    writes: float
    noc: float
    tiles: int
    klass: int  # index of its class in `_Engine.classes`
    phase: str = "wait"  # wait, fill, body, drain, done
    remaining: float = 0.0  # fill/drain: bits; body: work units
    per_work_bits: float = 0.0  # body: channel bits per unit of work
    per_work_noc: float = 0.0
    work_cap: float = math.inf  # body: most work per cycle (1 when it computes)
    drain_bits: float = 0.0
    body_work: float = 0.0  # body work waiting behind the fill
    segment: float = math.inf  # body work between forced events (tests of granularity only)
    rate: float = 0.0  # fill/drain: bits per cycle; body: work per cycle
    end: float = 0.0
    eps: float = 0.0  # fill/drain bits left that count as none (float sums of rates)


@dataclass(slots=True)
class _Prefetch:
    layer: int
    kind: str  # "weights" or "inputs"
    bits: float
    after: tuple[int, ...]  # layers whose writes must be done (inputs)
    done: float = 0.0
    rate: float = 0.0
    live: bool = True  # False once complete or once its layer started


@dataclass
class Trace:
    """What the timeline plot draws; times in cycles, bandwidths in bits per cycle."""

    cores: int
    compute: list[tuple[int, int, float, float]] = field(default_factory=list)  # core, layer, start, end
    channel: list[tuple[float, float, float, float]] = field(default_factory=list)  # t, demand, store, prefetch
    sram: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)  # t, bits held per core
    capacity_bits: int = 0
    channel_bits_per_cycle: float = 0.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """One run: each layer's end (cycles), the makespan, the events simpy scheduled."""

    ends: tuple[float, ...]
    makespan: float
    events: int
    prefetched_bits: float
    trace: Trace | None


def _waterfill(total: float, wants: list[tuple[float, int, int]]) -> dict[int, float]:
    """Max-min fair shares of `total` among (want, key, count) entries, each share one of `count`
    equal claimants (cores in lockstep); deterministic (sorted by want, key)."""
    out: dict[int, float] = {}
    if len(wants) == 1:
        want, key, count = wants[0]
        share = total / count
        return {key: want if want < share else share}
    left = total
    claimants = sum(w[2] for w in wants)
    for want, key, count in sorted(wants):
        share = left / claimants
        give = want if want < share else share
        out[key] = give
        left -= give * count
        claimants -= count
    return out


class _Engine:
    def __init__(
        self, p: Plan, sched: Schedule, first: bool, trace: bool, segments: int = 1, lockstep: bool = True
    ) -> None:
        self.env = simpy.Environment()
        self.segments = segments
        self.plan = p
        self.sched = sched
        accel = p.accel
        self.bw = accel.bytes_per_cycle * 8
        self.unconstrained = not math.isfinite(self.bw)
        noc = accel.noc_bytes_per_cycle * 8
        self.noc = math.inf if self.unconstrained else noc
        self.noc_limited = math.isfinite(self.noc)
        lay = layout(p, sched, first, not self.unconstrained, self.noc_limited, lockstep)
        self.classes = lay.classes
        self.used = lay.used
        self.tasks: list[list[_Task]] = []  # per layer, one task per class of the cores it uses
        self.tasks_of: list[list[_Task]] = [[] for _ in self.classes]  # per class, in layer order
        self.position = [0] * len(self.classes)  # per class, its next task in `tasks_of`
        for li, (reads, writes, noc_bits, tiles, eps, members) in enumerate(lay.layers):
            row = [
                _Task(li, cores, compute, reads, writes, noc_bits, tiles, k, eps=eps) for k, cores, compute in members
            ]
            for task in row:
                self.tasks_of[task.klass].append(task)
            self.tasks.append(row)
        self.left = [len(row) for row in self.tasks]
        event = self.env.event
        self.all_done: list[simpy.Event | None] = [event() if waited else None for waited in lay.waited]
        # per layer, the ends it waits for on all cores (fixed before the run; triggered ones skipped)
        self.waits_of = [[ev for j in row if (ev := self.all_done[j]) is not None] for row in sched.wait_all]
        self.started = [False] * len(p.layers)
        self.prefetched = [0.0] * len(p.layers)
        self.lowest = 0
        # consumer-layer order; dead entries stay, skipped
        self.prefetches = [_Prefetch(li, kind, bits, after) for li, kind, bits, after in lay.prefetches]
        self.prefetches_of: list[list[_Prefetch]] = [[] for _ in p.layers]
        for pf in self.prefetches:
            self.prefetches_of[pf.layer].append(pf)
        self.head = 0  # prefetches before this index are all dead
        self.active: list[_Task] = []
        self.current: _Prefetch | None = None
        self.last = 0.0
        self.timer: simpy.Event | None = None
        self.due: list[_Task | _Prefetch] = []
        self.pending = False
        self.trace = (
            Trace(accel.cores, capacity_bits=p.residency.capacity_bits, channel_bits_per_cycle=self.bw)
            if trace
            else None
        )
        self.step_of = [0] * accel.cores
        self.body_start: dict[tuple[int, int], float] = {}

    # --- the cores ---------------------------------------------------------------------------
    def next_task(self, k: int) -> _Task | None:
        """Start the next layer of class `k` if its data allows it now; else wait for it (a callback
        on the producers' end events) and return None. A producer waited for on these cores only
        (schedule's `local`) ran earlier on them, so it is done already; what is left to wait for
        are the producers waited for on all their cores."""
        tasks = self.tasks_of[k]
        if self.position[k] == len(tasks):
            return None
        task = tasks[self.position[k]]
        waits = [ev for ev in self.waits_of[task.layer] if not ev.triggered]
        if waits:
            (waits[0] if len(waits) == 1 else self.env.all_of(waits)).callbacks.append(
                functools.partial(self._resume, k)
            )
            return None
        self.position[k] += 1
        self.start(task)
        return task

    def _resume(self, k: int, _event: simpy.Event) -> None:
        """Class `k`'s producers are done: it starts its layer, with the others starting now."""
        if self.next_task(k) is not None:
            self._defer()

    def start(self, task: _Task) -> None:
        if self.env.now != self.last:
            self.advance()
        li = task.layer
        if not self.started[li]:
            self.started[li] = True
            for pf in self.prefetches_of[li]:
                if pf.live:
                    pf.live = False
                    self.prefetched[li] += pf.done
            if self.current is not None and self.current.layer == li:
                self.current = None
        for c in task.cores:
            self.step_of[c] = li
        prefetched = self.prefetched[li] / self.used[li]
        # max(0, x) and min(x, y) spelt out (the same values, signed zeros included): this runs per task
        reads = task.reads - prefetched
        reads = reads if reads > 0.0 else 0.0
        fill = task.reads / task.tiles - prefetched  # prefetch fetches the first tiles first
        fill = fill if fill < reads else reads
        fill = fill if fill > 0.0 else 0.0
        drain = task.drain_bits = task.writes / task.tiles
        body_bits = reads - fill + task.writes - drain
        noc = task.noc
        if noc > 0:  # fill, drain: own phases
            body_noc = noc - fill - drain
            body_noc = body_noc if body_noc > 0.0 else 0.0
        else:
            body_noc = 0.0
        compute = task.compute
        if compute > 0:
            task.remaining, task.work_cap = float(compute), 1.0
            task.per_work_bits, task.per_work_noc = body_bits / compute, body_noc / compute
        elif body_bits > 0:
            task.remaining, task.work_cap = body_bits, math.inf
            task.per_work_bits, task.per_work_noc = 1.0, body_noc / body_bits
        else:
            task.remaining, task.work_cap = body_noc, math.inf
            task.per_work_bits, task.per_work_noc = 0.0, 1.0
        task.phase = "fill"
        if fill > 0:
            task.body_work, task.remaining = task.remaining, fill
        else:
            self._enter_body(task, task.remaining)
        task.rate = 0.0
        self.active.append(task)

    def _defer(self) -> None:
        """Re-arbitrate once this instant's other events (cores resuming, starting layers) are done."""
        if not self.pending:
            self.pending = True
            self.env.timeout(0).callbacks.append(self._deferred_settle)

    def _deferred_settle(self, _event: simpy.Event) -> None:
        self.pending = False
        self.advance()
        self.settle()

    # --- phases -------------------------------------------------------------------------------
    def _enter_body(self, task: _Task, work: float) -> None:
        task.phase, task.remaining = "body", work
        task.segment = work / self.segments if self.segments > 1 and work > 0 else math.inf
        if self.trace is not None:
            self.body_start[(task.layer, task.cores[0])] = self.env.now

    def _next_phase(self, task: _Task) -> None:
        if task.phase == "fill":
            self._enter_body(task, task.body_work)
        elif task.phase == "body":
            if self.trace is not None:
                start = self.body_start[(task.layer, task.cores[0])]
                self.trace.compute.extend((c, task.layer, start, self.env.now) for c in task.cores)
            task.phase, task.remaining = "drain", task.drain_bits
        else:
            task.phase = "done"
        if task.phase != "done" and task.remaining <= 0:
            self._next_phase(task)

    def _finish(self, task: _Task) -> bool:
        """Close a finished task; True when its layer's end wakes cores that wait for it."""
        task.end = self.env.now
        li = task.layer
        self.left[li] -= 1
        woke = False
        if self.left[li] == 0:
            done = self.all_done[li]
            if done is not None:
                woke = bool(done.callbacks)
                done.succeed()
            while self.lowest < len(self.left) and self.left[self.lowest] == 0:
                self.lowest += 1
        return woke

    # --- the arbiter --------------------------------------------------------------------------
    def advance(self) -> None:
        """Move every flow forward at its current rate to now."""
        now = self.env.now
        dt = now - self.last
        self.last = now
        if dt <= 0:
            return
        for task in self.active:
            task.remaining -= task.rate * dt
        if self.current is not None:
            self.current.done += self.current.rate * dt

    def settle(self) -> None:
        """Close phases that are over, start the next layers of the cores that finished, share the
        resources again and set the timer for the next event.

        A core whose next layer's data is there starts it at once. When a finished layer wakes
        cores that wait for it, they start at this instant too: the sharing waits for them (one
        re-arbitration per instant, `_defer`).
        """
        woke = False
        active = self.active
        candidates = list(active)
        while candidates:
            freed: list[int] = []  # classes whose task finished
            while candidates:  # a task that moved on may end its next phase at once: look at those again
                moved = []
                for task in candidates:
                    if task.remaining <= 0 or (task.phase != "body" and task.remaining <= task.eps):
                        self._next_phase(task)
                        if task.phase == "done":
                            active.remove(task)
                            woke = self._finish(task) or woke
                            freed.append(task.klass)
                        else:
                            moved.append(task)
                candidates = moved
            cur = self.current
            if cur is not None and cur.done >= cur.bits * (1 - _SAME_TIME):
                cur.done = cur.bits
                self.prefetched[cur.layer] += cur.bits  # on chip now: credited to its layer when that starts
                cur.live = False
                self.current = None
            candidates = [nxt for k in freed if (nxt := self.next_task(k)) is not None]  # may end at once
        if woke or self.pending:
            self.timer = None  # no flow ends before the re-arbitration sets the next timer
            self._defer()
            return
        self.allocate()
        self.record()
        self.set_timer()

    def _eligible_prefetch(self) -> _Prefetch | None:
        limit = self.lowest + self.sched.lookahead
        prefetches = self.prefetches
        while self.head < len(prefetches) and not prefetches[self.head].live:
            self.head += 1
        for i in range(self.head, len(prefetches)):
            pf = prefetches[i]
            if pf.layer > limit:
                return None
            if pf.live and all(self.left[j] == 0 for j in pf.after):
                return pf
        return None

    def allocate(self) -> None:
        """Share the network, then the channel, by the arbitration policy (module docstring)."""
        active = self.active
        if self.unconstrained:
            for task in active:
                task.rate = task.work_cap if task.phase == "body" else math.inf
            return
        if len(active) == 1 and active[0].phase == "body":
            left = self._allocate_one_body(active[0])
        else:
            left = self._allocate_shared(active)
        if self.current is not None:
            self.current.rate = 0.0
        self.current = self._eligible_prefetch() if left > 0 and self.head < len(self.prefetches) else None
        if self.current is not None:
            self.current.rate = left

    def _allocate_one_body(self, t: _Task) -> float:
        """`_allocate_shared` for the common case of one class computing alone, the same operations
        spelt out without the lists (the shares are the same floats); returns the channel left."""
        count = len(t.cores)
        cap = t.work_cap
        if self.noc_limited and t.per_work_noc > 0:
            want, share = t.per_work_noc * cap, self.noc / count
            cap = min(cap, (want if want < share else share) / t.per_work_noc)
        if t.per_work_bits == 0:
            t.rate = cap
            return max(0.0, self.bw)
        want, share = t.per_work_bits * cap, self.bw / count
        t.rate = min(cap, (want if want < share else share) / t.per_work_bits)
        return max(0.0, self.bw - t.rate * t.per_work_bits * count)

    def _allocate_shared(self, active: list[_Task]) -> float:
        """Max-min shares of the network, then the channel (module docstring); the channel left."""
        bodies: list[_Task] = []
        fills: list[_Task] = []
        drains: list[_Task] = []
        for t in active:  # an active task is in one of these three phases
            phase = t.phase
            if phase == "body":
                bodies.append(t)
            elif phase == "fill":
                fills.append(t)
            else:
                drains.append(t)
        nb, nf = len(bodies), len(fills)
        caps = [t.work_cap for t in bodies]
        fill_caps = [math.inf] * nf
        drain_caps = [math.inf] * len(drains)
        if self.noc_limited:  # fills and drains cross the network too, at whatever it gives them
            wants = [(t.per_work_noc * caps[i], i, len(t.cores)) for i, t in enumerate(bodies) if t.per_work_noc > 0]
            wants += [(math.inf, nb + j, len(t.cores)) for j, t in enumerate(fills) if t.noc > 0]
            wants += [(math.inf, nb + nf + j, len(t.cores)) for j, t in enumerate(drains) if t.noc > 0]
            if wants:
                for key, share in _waterfill(self.noc, wants).items():
                    if key < nb:
                        caps[key] = min(caps[key], share / bodies[key].per_work_noc)
                    elif key < nb + nf:
                        fill_caps[key - nb] = share
                    else:
                        drain_caps[key - nb - nf] = share
        wants = [(t.per_work_bits * caps[i], i, len(t.cores)) for i, t in enumerate(bodies)]
        wants += [(fill_caps[j], nb + j, len(t.cores)) for j, t in enumerate(fills)]
        shares = _waterfill(self.bw, wants) if wants else {}
        used = 0.0
        for i, t in enumerate(bodies):
            if t.per_work_bits == 0:
                t.rate = caps[i]
            else:
                t.rate = min(caps[i], shares[i] / t.per_work_bits)
                used += t.rate * t.per_work_bits * len(t.cores)
        for j, t in enumerate(fills):
            t.rate = shares[nb + j]
            used += t.rate * len(t.cores)
        left = max(0.0, self.bw - used)
        if drains:
            claims = [(cap, j, len(t.cores)) for j, (cap, t) in enumerate(zip(drain_caps, drains, strict=True))]
            shares = _waterfill(left, claims)
            for j, t in enumerate(drains):
                t.rate = shares[j]
                left -= shares[j] * len(t.cores)
            left = max(0.0, left)
        return left

    def set_timer(self) -> None:
        """Set one timer for the soonest phase end (or forced segment event); an older timer is stale."""
        soonest = math.inf
        due: list[_Task | _Prefetch] = []  # (plain lists: a `list[...]()` call builds its alias each time)
        segmented = self.segments > 1
        for task in self.active:
            rate = task.rate
            if rate > 0:
                dt = task.remaining / rate
                if dt < soonest * _EARLIER:
                    soonest, due = dt, [task]
                elif dt <= soonest * _LATER:
                    due.append(task)
                if segmented and task.phase == "body" and task.segment < task.remaining:  # a forced event
                    step = task.remaining - task.segment * (math.ceil(task.remaining / task.segment * (1 - 1e-12)) - 1)
                    if step > 1e-9 * task.segment and step / rate < soonest * _EARLIER:
                        soonest, due = step / rate, []
        cur = self.current
        if cur is not None and cur.rate > 0:
            dt = (cur.bits - cur.done) / cur.rate
            if dt < soonest * _EARLIER:
                soonest, due = dt, [cur]
            elif dt <= soonest * _LATER:
                due.append(cur)
        self.timer = None
        if math.isfinite(soonest):
            self.timer, self.due = self.env.timeout(max(0.0, soonest)), due
            self.timer.callbacks.append(self._on_timer)

    def _on_timer(self, event: simpy.Event) -> None:
        if event is not self.timer:
            return  # a start re-planned the rates since this timer was set
        self.advance()
        for flow in self.due:  # the flows this timer was set for end now, exactly (float time may not resolve them)
            if isinstance(flow, _Prefetch):
                flow.done = flow.bits
            else:
                flow.remaining = 0.0
        self.settle()

    def record(self) -> None:
        if self.trace is None:
            return
        now = self.env.now
        demand = sum(
            t.rate * (t.per_work_bits if t.phase == "body" else 1.0) * len(t.cores)
            for t in self.active
            if t.phase in ("fill", "body")
        )
        store = sum(t.rate * len(t.cores) for t in self.active if t.phase == "drain")
        pre = self.current.rate if self.current is not None else 0.0
        if self.unconstrained:
            demand = store = pre = 0.0
        self.trace.channel.append((now, demand, store, pre))
        mem = self.plan.residency
        held = [0.0] * self.trace.cores
        for li, pf in enumerate(self.sched.prefetch):
            if pf.core_bits and not self.started[li]:
                total = pf.weight_bits + pf.input_bits
                got = self.prefetched[li] + sum(x.done for x in self.prefetches_of[li] if x.live)
                for c in range(self.used[li]):
                    held[c] += pf.core_bits * got / total
        self.trace.sram.append(
            (now, tuple(int(mem.occupancy[self.step_of[c]][c] + held[c]) for c in range(self.trace.cores)))
        )


def run(
    p: Plan, sched: Schedule, *, first: bool = False, trace: bool = False, segments: int = 1, lockstep: bool = True
) -> Outcome:
    """Run a plan as events; `first` uses first-image traffic (pinned weights loaded once).

    `segments` > 1 forces an event (a re-arbitration) every 1/segments of each layer's body: the
    closed-form steady state makes this change nothing, which the granularity test checks.
    `lockstep` False runs every core as its own process (`engine_setup.lockstep_classes`; tests only).
    """
    eng = _Engine(p, sched, first, trace, segments, lockstep)
    for k in range(len(eng.classes)):
        eng.next_task(k)
    eng._defer()  # the first re-arbitration, once every core has started
    events = _run_counting(eng.env)
    if any(eng.left):  # a dependency was never met: a bug, not bad input
        raise RuntimeError(f"simulation stalled with {sum(1 for x in eng.left if x)} layers unfinished")
    ends = tuple(max((t.end for t in row), default=0.0) for row in eng.tasks)
    ends = _carry(ends)
    return Outcome(ends, ends[-1] if ends else 0.0, events, sum(eng.prefetched), eng.trace)


def _run_counting(env: simpy.Environment) -> int:
    """Run `env` until no event is left; the number of events processed (every one scheduled is)."""
    step = env.step
    events = 0
    try:
        while True:
            step()
            events += 1
    except simpy.core.EmptySchedule:
        return events


def _carry(ends: Sequence[float]) -> tuple[float, ...]:
    """Each layer's end as the latest end so far in the plan's order (an empty layer ends with its predecessor)."""
    out, latest = [], 0.0
    for e in ends:
        latest = max(latest, e)
        out.append(latest)
    return tuple(out)


def compute_only(p: Plan, sched: Schedule) -> float:
    """Makespan with an unconstrained memory system, by the same dependency rules, without events."""
    cores = p.accel.cores
    free = [0.0] * cores
    ends: list[list[float]] = []
    for li, lp in enumerate(p.layers):
        used = lp.split.cores_used
        row = []
        for c in range(used):
            ready = free[c]
            for j in sched.local[li]:
                if c < len(ends[j]):
                    ready = max(ready, ends[j][c])
            for j in sched.wait_all[li]:
                ready = max(ready, max(ends[j], default=0.0))
            end = ready + lp.core_cycles[c]
            free[c] = end
            row.append(end)
        ends.append(row)
    return max((max(r, default=0.0) for r in ends), default=0.0)


__all__ = ["Outcome", "Trace", "compute_only", "run"]
