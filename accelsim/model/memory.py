"""Per-core on-chip memory plan: what each core's SRAM holds at every step of the execution order.

Every core has its own SRAM of `sram_bytes_per_core`; nothing is pooled. The plan decides, in this
order (docs/model.md, "The memory plan"; every rule is a threshold or a fixed-order prefix, so
more SRAM or fewer bits never evicts anything and results are deterministic):

1. **Split.** Each GEMM layer is cut across cores to minimise the slowest core's cycles
   (`mapping.choose_split`); ties go to fewer off-chip bits with every operand streamed through a
   whole core's SRAM, then to fewer replicated weight bits.
2. **Streaming room.** On each core it uses, a layer needs at least `reserve` bits (two minimal
   full-K tiles or the K-split minimum, `traffic.tile_need_bits`) and wants `want` bits (the room
   beyond which more room saves no traffic with every operand streaming,
   `traffic.refetch_free_bits`).
3. **Activations.** A layer's output lives on the cores that produced it (an equal share on each)
   from its step to its last reader's step. It stays on chip when, at every step of its life and on
   every core holding it, all live intermediate activations plus that step's layer's `want` fit —
   the want *with this tensor on chip* at the steps of the layers that read it. Network inputs and
   graph outputs are always off chip. So a tensor never takes room a layer needs to read its
   operands once, and more SRAM or fewer bits never evicts anything.
4. **Buffers.** At each step a used core streams through ``max(reserve, min(want, SRAM - resident
   activations))``: spilled activations take no room (issue 10's budget bug).
5. **Pinned weights.** Pin capacity per core = the least SRAM left over all steps after every
   live activation (spilled ones counted, so the capacity only grows with SRAM) and buffers.
   Layers are pinned in order of benefit per byte — the DRAM bits they save per compute cycle
   (weight bits / cycles) over the SRAM they take (weight bits x replicas), i.e. the key
   ``cycles x replicas`` ascending, ties by step — each core keeping the weight slices its part
   of the split uses (replicated across the cores that split M). Pinning stops at the first layer
   that does not fit (a prefix, so more SRAM never unpins a layer).

Occupancy of core c at step s = pinned weights + resident activations + buffer <= SRAM, by
construction (`MemoryPlan.occupancy`).

Two ablation switches of `Accelerator` (default off; docs/model.md, "Ablation switches") give the
model before issue 10 under the same rules: `pooled_sram` accounts one pool of every core's share
(a layer's reserve and want are the sums over its cores, tensors and weights are held once, no
replicas), and reports it per core as an even share; `all_or_nothing_weights` pins every weight
when all of them fit the pin room, else none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from accelsim.errors import InputError
from accelsim.hardware.design import Accelerator
from accelsim.ir.graph import LayerGraph
from accelsim.ir.units import format_size
from accelsim.model import kv_cache, mapping, tiling, traffic
from accelsim.model.liveness import Liveness, Tensor, gemm_operand_elems, liveness, weight_bits
from accelsim.model.mapping import Split
from accelsim.model.mapspace import LayerMapping, packed_gemm, slowest_cycles
from accelsim.model.traffic import Operand


@dataclass(frozen=True, slots=True)
class LayerMemory:
    """One layer's memory decisions (bits per core unless named otherwise)."""

    name: str
    split: Split
    cores_used: int
    reserve_bits: int
    want_bits: int
    weight_bits: int  # the layer's weights once (0 without weights)
    slice_bits: tuple[int, ...]  # weight bits each used core keeps when pinned
    pinned: bool
    budget_bits: int  # streaming room on its tightest used core
    mapping: LayerMapping | None = None  # dataflow, split and packing of a GEMM layer (None otherwise)


@dataclass(frozen=True, slots=True)
class MemoryPlan:
    """Per-core placement of weights, activations and streaming buffers for one graph."""

    capacity_bits: int  # per core
    cores: int
    liveness: Liveness
    layers: tuple[LayerMemory, ...]
    resident: dict[str, bool] = field(repr=False)
    owners: dict[str, int] = field(repr=False)  # tensor -> cores holding it (cores 0 .. n-1)
    pinned_per_core: tuple[int, ...] = field(repr=False)
    occupancy: tuple[tuple[int, ...], ...] = field(repr=False)  # [step][core], bits
    live_per_core: tuple[tuple[int, ...], ...] = field(repr=False)  # resident activations [step][core]
    weight_bits: int = 0
    kv_share_bits: int = 0  # KV cache bits each core keeps on chip (0: the cache streams, or none)

    @property
    def weights_resident(self) -> bool:
        """Every weight is pinned on chip (loaded once, not re-read per batch)."""
        return all(lm.pinned for lm in self.layers if lm.weight_bits)

    @property
    def activations_resident(self) -> bool:
        """Every intermediate tensor (not a graph output) stays on chip."""
        return not self.spilled

    @property
    def fits(self) -> bool:
        """Everything fits: all weights pinned and all intermediate activations on chip."""
        return self.weights_resident and self.activations_resident

    @property
    def spilled(self) -> tuple[str, ...]:
        """Layers whose output goes off chip although another layer reads it, in execution order."""
        return tuple(t.name for t in self.liveness.tensors if _keepable(t) and not self.resident[t.name])

    @property
    def pinned_weight_bits(self) -> int:
        """Weights pinned on chip, counted once (not per replica)."""
        return sum(lm.weight_bits for lm in self.layers if lm.pinned)

    @property
    def streamed_weight_bits(self) -> int:
        return self.weight_bits - self.pinned_weight_bits

    @property
    def peak_live_per_core_bits(self) -> int:
        """The most resident activation bits any core holds at any step."""
        return max((max(row) for row in self.live_per_core), default=0)

    @property
    def peak_onchip_bits(self) -> int:
        """The most any core holds at any step in pinned weights and resident activations."""
        peak = 0
        for row in self.live_per_core:
            peak = max(
                peak,
                max((p + self.kv_share_bits + a for p, a in zip(self.pinned_per_core, row, strict=True)), default=0),
            )
        return peak


def _keepable(t: Tensor) -> bool:
    """Tensors that may stay on chip: intermediate activations (not inputs, not graph outputs, not
    KV caches, which `accelsim.model.kv_cache` places whole before any weight is pinned)."""
    return not (t.graph_output or t.network_input or t.kv_cache)


def _gemm_operands(graph: LayerGraph, name: str) -> tuple[Operand, Operand, int]:
    a_elems, b_elems, b_bits = gemm_operand_elems(graph, name)
    return Operand(a_elems, graph.precision(name).a_bits), Operand(b_elems, b_bits), graph.output_bits(name)


def fixed_mapping(accel: Accelerator, split: Split) -> LayerMapping:
    """Today's mapping of a layer: the design's dataflow, `split`, one group at a time."""
    return LayerMapping(accel.dataflow, split)


def layer_footprint(
    graph: LayerGraph, name: str, accel: Accelerator, split: Split, lm: LayerMapping | None = None
) -> traffic.TileFootprint:
    """The GEMM footprint of layer `name` under `split`, or under mapping `lm` (operands at their stored bits)."""
    gemm = graph.gemm(name)
    assert gemm is not None
    a, b, out_bits = _gemm_operands(graph, name)
    if lm is None:
        return traffic.footprint(gemm, split, accel, a, b, out_bits)
    return traffic.footprint(packed_gemm(gemm, lm.pack), lm.split, accel, a, b, out_bits, lm.dataflow)


def weight_slices(graph: LayerGraph, name: str, split: Split, pack: int = 1) -> tuple[int, ...]:
    """Weight bits each used core keeps (core order: groups, then M, N and K slices).

    A core needs the weights of its groups, its N columns and its K rows: cores along M hold
    copies. With `pack` groups packed on the array, a core's groups come in packs.
    """
    layer = graph.layer(name)
    gemm = graph.gemm(name)
    if gemm is None or not layer.weight_elems:
        return ()
    w = graph.precision(name).w_bits
    per_column = layer.weight_elems // (gemm.groups * gemm.n)
    out = []
    for g in mapping.balanced_parts(gemm.groups // pack, split.groups):
        for _ in mapping.balanced_parts(gemm.m, split.m):
            for n in mapping.balanced_parts(gemm.n, split.n):
                for k in mapping.balanced_parts(per_column, split.k):
                    out.append(g * pack * n * k * w)
    return tuple(out)


def _replicated_weight_bits(graph: LayerGraph, name: str, split: Split) -> int:
    """``sum(weight_slices(graph, name, split))`` in closed form: every core along M keeps a copy
    of the weights (each axis's balanced parts sum to the axis), so ``split.m`` copies in all."""
    layer = graph.layer(name)
    gemm = graph.gemm(name)
    if gemm is None or not layer.weight_elems:
        return 0
    per_column = layer.weight_elems // (gemm.groups * gemm.n)
    return split.m * gemm.groups * gemm.n * per_column * graph.precision(name).w_bits


def _choose_split(graph: LayerGraph, name: str, accel: Accelerator) -> Split:
    gemm = graph.gemm(name)
    assert gemm is not None
    a, b, out_bits = _gemm_operands(graph, name)
    out = Operand(graph.layer(name).out_elems, out_bits)
    budget = accel.sram_bytes_per_core * 8

    def key(split: Split) -> tuple[int, int]:
        replicas = _replicated_weight_bits(graph, name, split)
        fp = traffic.footprint(gemm, split, accel, a, b, out_bits)
        if traffic.tile_need_bits(fp) > budget:
            return 2**62, replicas  # cannot run on this split; keeps the key total
        return traffic.gemm_traffic(fp, a, b, out, budget).total_bits, replicas

    return mapping.choose_split(gemm, accel, key)


def _per_core(rows: int, cores: int) -> list[list[int]]:
    return [[0] * cores for _ in range(rows)]


def _wants(graph: LayerGraph, name: str, fp: traffic.TileFootprint) -> tuple[int, dict[str, int]]:
    """The layer's refetch-free room with every operand streaming, and with each input on chip."""
    a, b, out_bits = _gemm_operands(graph, name)
    out = Operand(0, out_bits)
    full = traffic.refetch_free_bits(fp, a, b, out)
    per_input = {}
    for i, src in enumerate(graph.inputs_of(name)):
        a_i = Operand(a.elems, a.bits, traffic.ON_CHIP) if i == 0 else a
        b_i = Operand(b.elems, b.bits, traffic.ON_CHIP) if i == 1 else b
        per_input[src] = traffic.refetch_free_bits(fp, a_i, b_i, out)
    return full, per_input


def _tiling_bits(graph: LayerGraph, name: str, fp: traffic.TileFootprint, lm: LayerMapping, accel: Accelerator) -> int:
    """SRAM bits per core of the mapper's tiling for layer `name`; InputError when a core cannot hold it."""
    assert lm.tiling is not None
    a, b, out_bits = _gemm_operands(graph, name)
    need = tiling.need_bits(fp, a, b, Operand(0, out_bits), lm.tiling)
    if need > accel.sram_bytes_per_core * 8:
        raise InputError(
            "sram",
            format_size(accel.sram_bytes),
            f"gives {accel.sram_bytes_per_core} bytes per core, too small for layer {name}'s tile "
            f"{lm.tiling.label} (needs {-(-need // 8)} bytes per core)",
        )
    return need


@dataclass(frozen=True, slots=True)
class _Rooms:
    """Per-step split, cores used, reserve, want and want-with-each-input-on-chip (bits per core)."""

    splits: list[Split]
    used: list[int]
    reserve: list[int]
    want: list[int]
    want_with: list[dict[str, int]]


def _rooms(
    graph: LayerGraph, order: tuple[str, ...], accel: Accelerator, mappings: dict[str, LayerMapping] | None
) -> _Rooms:
    """Rules 1 and 2: each layer's split and streaming room; InputError when a tile cannot fit.

    With `mappings` (the mapper's choices), a GEMM layer takes its split from its mapping, and a
    mapping with a tiling reserves exactly that tile's SRAM (reserve = want).
    """
    rooms = _Rooms([], [], [], [], [])
    want_with: dict[str, int]
    seen: dict[int, tuple[Split, int, int, tuple[int, ...]]] = {}  # fixed-mapping rooms by `room_signature`
    for name in order:
        gemm = graph.gemm(name) is not None
        lm = mappings[name] if mappings is not None and gemm else None
        sig = room_signature(graph, name) if gemm and lm is None else -1
        if not gemm:
            split, reserve, want, want_with = Split(1, accel.cores, 1), 0, 0, {}
        elif (known := seen.get(sig)) is not None:
            split, reserve, want, per_input = known  # a layer like an earlier one: the same rooms
            want_with = dict(zip(graph.inputs_of(name), per_input, strict=True))
        else:
            split = lm.split if lm is not None else _choose_split(graph, name, accel)
            fp = layer_footprint(graph, name, accel, split, lm)
            traffic.check_tile_fits(accel, name, fp)
            if lm is not None and lm.tiling is not None:  # the mapper's tile: exactly its SRAM, no more
                reserve = want = _tiling_bits(graph, name, fp, lm, accel)
                want_with = {src: want for src in graph.inputs_of(name)}
            else:
                reserve = traffic.tile_need_bits(fp)
                want, want_with = _wants(graph, name, fp)
                if lm is None:
                    seen[sig] = (split, reserve, want, tuple(want_with.values()))
        rooms.splits.append(split)
        rooms.used.append(split.cores_used)
        rooms.reserve.append(reserve)
        rooms.want.append(want)
        rooms.want_with.append(want_with)
    return rooms


def room_signature(graph: LayerGraph, name: str) -> int:
    """A number shared by the GEMM layers of `graph` whose split and rooms are the same on any
    design: everything `_choose_split`, `layer_footprint` and `_wants` read of a layer (ResNet-50's
    54 GEMM layers have 24), so a plan works each out once."""

    def signature() -> int:
        layer = graph.layer(name)
        content = (
            graph.gemm(name),
            gemm_operand_elems(graph, name),
            bool(layer.weight_elems),
            layer.out_elems,
            graph.precision(name),
            graph.output_bits(name),
            len(graph.inputs_of(name)),
        )
        table: dict[tuple[object, ...], int] = graph.memo("room_signatures", dict)
        return table.setdefault(content, len(table))

    return graph.memo(("room_signature", name), signature)


@dataclass(frozen=True, slots=True)
class _Pools:
    """The SRAM as the plan accounts it: `count` pools of `cap` bits, and per step the pools a layer
    uses, the cores sharing each of them and the room it needs in each. Per core (default): one
    pool per core. `Accelerator.pooled_sram`: one pool of every core's share, and a layer's room in
    it the sum of its cores' rooms."""

    count: int
    cap: int
    used: list[int]
    sharing: list[int]  # real cores per pool at each step (1 per core; the layer's cores pooled)
    reserve: list[int]
    want: list[int]
    want_with: list[dict[str, int]]


def _pools(accel: Accelerator, rooms: _Rooms) -> _Pools:
    cap = accel.sram_bytes_per_core * 8
    if not accel.pooled_sram:
        return _Pools(accel.cores, cap, rooms.used, [1] * len(rooms.used), rooms.reserve, rooms.want, rooms.want_with)
    n = rooms.used
    return _Pools(
        1,
        cap * accel.cores,
        [1] * len(n),
        n,
        [r * u for r, u in zip(rooms.reserve, n, strict=True)],
        [w * u for w, u in zip(rooms.want, n, strict=True)],
        [{k: v * u for k, v in ww.items()} for ww, u in zip(rooms.want_with, n, strict=True)],
    )


def _resident(live: Liveness, owners: dict[str, int], all_live: list[list[int]], pools: _Pools) -> dict[str, bool]:
    """Rule 3: a keepable tensor stays on chip when every step of its life leaves its readers' want."""
    return {
        t.name: _keepable(t)
        and all(
            all_live[s][c] + (pools.want_with[s].get(t.name, pools.want[s]) if c < pools.used[s] else 0) <= pools.cap
            for s in range(t.start, t.end + 1)
            for c in range(owners[t.name])
        )
        for t in live.tensors
    }


def _buffers(pools: _Pools, res_live: list[list[int]]) -> list[list[int]]:
    """Rule 4: each used pool streams through its reserve, up to its want, in the room left."""
    buffers = _per_core(len(pools.used), pools.count)
    for s, row in enumerate(buffers):
        for c in range(pools.used[s]):
            row[c] = max(pools.reserve[s], min(pools.want[s], pools.cap - res_live[s][c]))
    return buffers


def _spread(rows: list[list[int]], pools: _Pools, cores: int) -> list[list[int]]:
    """Per-pool bits as per-core bits: one pool's evenly over `cores` (pooled), else as they are.

    The pooled plan's per-core view is an even share of the pool (what the event engine's prefetch
    room and timeline read); each core's share of an occupancy stays within its share of the pool.
    """
    if pools.count == cores:
        return rows
    return [[-(-row[0] // cores)] * cores for row in rows]


def plan_memory(graph: LayerGraph, accel: Accelerator, mappings: dict[str, LayerMapping] | None = None) -> MemoryPlan:
    """The per-core memory plan of `graph` on `accel` (rules in the module docstring).

    `mappings` (layer -> `LayerMapping`, from `accelsim.model.mapper`) replaces rule 1's split and
    the design's dataflow for the layers it names; None = the fixed mapping.
    Raises InputError when a core cannot hold one layer's minimal streaming tile.
    """
    live = liveness(graph)
    steps = len(live.order)
    rooms = _rooms(graph, live.order, accel, mappings)
    pools = _pools(accel, rooms)
    index = {name: i for i, name in enumerate(live.order)}
    owners = {t.name: (pools.used[index[t.name]] if t.name in index else pools.count) for t in live.tensors}
    all_live = live_per_core(live, owners, steps, pools.count, lambda t: _keepable(t))
    resident = _resident(live, owners, all_live, pools)
    res_live = live_per_core(live, owners, steps, pools.count, lambda t: resident[t.name])
    buffers = _buffers(pools, res_live)
    # pin room counts every keepable activation (spilled ones too) so that it only grows with SRAM
    pin_room = [
        min((max(0, pools.cap - all_live[s][c] - buffers[s][c]) for s in range(steps)), default=pools.cap)
        for c in range(pools.count)
    ]
    pin_room, kv_share = kv_cache.place(graph, pin_room, resident, live.tensors)  # the cache before weights
    lms = [
        (mappings[name] if mappings is not None and name in mappings else fixed_mapping(accel, rooms.splits[s]))
        for s, name in enumerate(live.order)
    ]
    pinned, pinned_per_pool = _pin_weights(graph, live.order, lms, accel, pin_room)
    layers = tuple(
        _layer_memory(
            graph,
            name,
            rooms,
            s,
            lms[s],
            name in pinned,
            min(buffers[s][: pools.used[s]], default=0) // pools.sharing[s],
        )
        for s, name in enumerate(live.order)
    )
    occupancy = [
        [pinned_per_pool[c] + kv_share + res_live[s][c] + buffers[s][c] for c in range(pools.count)]
        for s in range(steps)
    ]
    cores = accel.cores
    return MemoryPlan(
        capacity_bits=accel.sram_bytes_per_core * 8,
        cores=cores,
        liveness=live,
        layers=layers,
        resident=resident,
        owners=owners,
        pinned_per_core=tuple(_spread([pinned_per_pool], pools, cores)[0]),
        occupancy=tuple(tuple(row) for row in _spread(occupancy, pools, cores)),
        live_per_core=tuple(tuple(row) for row in _spread(res_live, pools, cores)),
        weight_bits=weight_bits(graph),
        kv_share_bits=_spread([[kv_share]], pools, cores)[0][0],
    )


def _layer_memory(
    graph: LayerGraph, name: str, rooms: _Rooms, s: int, lm: LayerMapping, pinned: bool, budget: int
) -> LayerMemory:
    """One layer's decisions (`budget_bits`: its streaming room on its tightest used core)."""
    return LayerMemory(
        name=name,
        split=rooms.splits[s],
        cores_used=rooms.used[s],
        reserve_bits=rooms.reserve[s],
        want_bits=rooms.want[s],
        weight_bits=graph.layer(name).weight_elems * graph.precision(name).w_bits,
        slice_bits=weight_slices(graph, name, rooms.splits[s], lm.pack),
        pinned=pinned,
        budget_bits=budget,
        mapping=lm if graph.gemm(name) is not None else None,
    )


def live_per_core(
    live: Liveness, owners: dict[str, int], steps: int, cores: int, keep: Callable[[Tensor], bool]
) -> list[list[int]]:
    """Bits of the tensors `keep` selects on each core at each step (equal shares on their owners)."""
    out = _per_core(steps, cores)
    for t in live.tensors:
        if keep(t):
            share = -(-t.bits // owners[t.name])
            for s in range(t.start, t.end + 1):
                row = out[s]
                for c in range(owners[t.name]):
                    row[c] += share
    return out


def _pin_weights(
    graph: LayerGraph, order: tuple[str, ...], lms: list[LayerMapping], accel: Accelerator, room: list[int]
) -> tuple[set[str], list[int]]:
    """Pin weight slices by benefit per byte into `room` bits per pool, stopping at the first miss.

    Pooled SRAM keeps one copy of a layer's weights (no replicas, so the key is `cycles`);
    all-or-nothing keeps every weight or none.
    """
    view = mapping.array_view(accel)
    items = []
    for s, name in enumerate(order):
        gemm = graph.gemm(name)
        if gemm is None or not graph.layer(name).weight_elems:
            continue
        cycles = slowest_cycles(gemm, lms[s], view)
        replicas = 1 if accel.pooled_sram else lms[s].split.m
        items.append((max(1, cycles) * replicas, s, name))
    pinned: set[str] = set()
    per_pool = [0] * len(room)
    for _, s, name in sorted(items):
        if accel.pooled_sram:
            slices: tuple[int, ...] = (graph.layer(name).weight_elems * graph.precision(name).w_bits,)
        else:
            slices = weight_slices(graph, name, lms[s].split, lms[s].pack)
        if any(per_pool[c] + bits > room[c] for c, bits in enumerate(slices)):
            break
        for c, bits in enumerate(slices):
            per_pool[c] += bits
        pinned.add(name)
    if accel.all_or_nothing_weights and len(pinned) < len(items):
        return set(), [0] * len(room)
    return pinned, per_pool


__all__ = [
    "LayerMemory",
    "MemoryPlan",
    "fixed_mapping",
    "layer_footprint",
    "live_per_core",
    "plan_memory",
    "room_signature",
    "weight_slices",
]
