"""Meshing one model on several cores: forked processes pull batches of elements, costliest first.

The model is parsed once, in the parent; the children are forked after it, so they read the
parsed file copy-on-write (IfcOpenShell keeps it in C++ memory that nothing in a child
writes) and only their own meshes cost memory. A batch is a list of elements that share one
body representation (IfcOpenShell meshes a shared representation once per iterator, so
splitting its instances would mesh it again) or several cheap elements together. Children
take the next batch as they finish one, so a few heavy Revit families do not leave one core
idle while another meshes them, and the estimate only needs to rank, not to be exact.

A child that dies (killed for memory, a crash in the mesher) loses nothing: its unfinished
batches are measured in the parent.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import ifcopenshell

Result = TypeVar("Result")

# Relative meshing cost of a representation item, in "faces". Calibrated on the Revit
# samples: explicit faces dominate, a boolean costs about as much as a small brep, and each
# opening cut from an element costs another boolean.
_SOLID_COST = 10
_BOOLEAN_COST = 50
_INSTANCE_COST = 2  # placing one more instance of a representation already meshed
_GUIDED_SHARE = 3  # a batch is at most 1/(3 x processes) of the work still to plan
_MAX_BATCHES_PER_PROCESS = 40
_MAX_BATCH_ELEMENTS = 200
_WAIT_SECONDS = 1.0
_CHILD_SHARE_OF_PARENT = 1.0


@dataclass(frozen=True, slots=True)
class Batch:
    step_ids: list[int]
    cost: float


class CostEstimator:
    """Ranks elements by how long meshing them takes, from their representation's size."""

    def __init__(self, model: ifcopenshell.file) -> None:
        self._cache: dict[int, float] = {}
        self.openings: dict[int, int] = defaultdict(int)
        for rel in model.by_type("IfcRelVoidsElement"):
            host = rel.RelatingBuildingElement
            if host is not None:
                self.openings[host.id()] += 1

    def element(self, element: ifcopenshell.entity_instance) -> tuple[object, float]:
        """(reuse key, cost): elements with one key share one mesh in one iterator."""
        representation = element.Representation
        if representation is None:
            return ("none", element.id()), 1.0
        items = [
            item
            for shape in representation.Representations
            if shape.RepresentationIdentifier in ("Body", "Facetation", None)
            for item in shape.Items
        ]
        cost = 1.0 + sum(self._item(item) for item in items)
        voids = self.openings.get(element.id(), 0)
        if voids:
            # Cut by openings: its own mesh, and every cut is a boolean.
            return ("voided", element.id()), cost + voids * (_BOOLEAN_COST + cost)
        if len(items) == 1 and items[0].is_a("IfcMappedItem"):
            return ("mapped", items[0].MappingSource.MappedRepresentation.id()), cost
        return ("own", element.id()), cost

    def _item(self, item: ifcopenshell.entity_instance) -> float:
        key = item.id()
        if key not in self._cache:
            self._cache[key] = self._measure(item)
        return self._cache[key]

    def _measure(self, item: ifcopenshell.entity_instance) -> float:
        if item.is_a("IfcMappedItem"):
            return sum(self._item(i) for i in item.MappingSource.MappedRepresentation.Items)
        if item.is_a("IfcFacetedBrep"):
            return float(len(item.Outer.CfsFaces))
        if item.is_a("IfcFaceBasedSurfaceModel"):
            return float(sum(len(shell.CfsFaces) for shell in item.FbsmFaces))
        if item.is_a("IfcShellBasedSurfaceModel"):
            return float(sum(len(getattr(s, "CfsFaces", ())) for s in item.SbsmBoundary))
        if item.is_a("IfcBooleanResult"):
            operands = (item.FirstOperand, item.SecondOperand)
            return _BOOLEAN_COST + sum(self._item(o) for o in operands if o is not None)
        if item.is_a("IfcTriangulatedFaceSet"):
            return float(len(item.CoordIndex))
        if item.is_a("IfcPolygonalFaceSet"):
            return float(len(item.Faces))
        return float(_SOLID_COST)


def plan_batches(model: ifcopenshell.file, step_ids: Sequence[int], processes: int) -> list[Batch]:
    """Batches of elements, costliest first, shrinking towards the end."""
    estimator = CostEstimator(model)
    groups: dict[object, list[int]] = {}
    group_cost: dict[object, float] = {}
    for step_id in step_ids:
        key, cost = estimator.element(model.by_id(step_id))
        if key in groups:
            groups[key].append(step_id)
            group_cost[key] += _INSTANCE_COST
        else:
            groups[key] = [step_id]
            group_cost[key] = cost
    total = sum(group_cost.values())
    # Guided sizes: a batch is a share of what is left, so the first are large (few iterators)
    # and the last small, and the processes run out of work at about the same time.
    smallest = total / (processes * _MAX_BATCHES_PER_PROCESS)
    remaining = total
    batches: list[Batch] = []
    current: list[int] = []
    current_cost = 0.0
    for key in sorted(groups, key=group_cost.__getitem__, reverse=True):
        target = max(smallest, remaining / (processes * _GUIDED_SHARE))
        full = current_cost + group_cost[key] > target or len(current) >= _MAX_BATCH_ELEMENTS
        if current and full:
            batches.append(Batch(current, current_cost))
            remaining -= current_cost
            current, current_cost = [], 0.0
        current.extend(groups[key])
        current_cost += group_cost[key]
    if current:
        batches.append(Batch(current, current_cost))
    return batches


class Pool(Generic[Result]):
    """Runs `work` over batches in forked children; results come back as batches finish."""

    def __init__(self, batches: list[Batch], work: Callable[[list[int]], Result]) -> None:
        self.batches = batches
        self.work = work

    def run(
        self,
        processes: int,
        on_result: Callable[[Batch, Result], None],
        on_wait: Callable[[], None],
    ) -> list[str]:
        """Call on_result per finished batch (in the parent); returns the children's errors."""
        context = multiprocessing.get_context("fork")
        next_batch = context.Value("i", 0)
        children = []
        for _ in range(processes):
            reader, writer = context.Pipe(duplex=False)
            child = context.Process(target=self._child, args=(next_batch, writer), daemon=True)
            child.start()
            writer.close()
            children.append((child, reader))
        errors: list[str] = []
        started: dict[int, set[int]] = {child.pid: set() for child, _ in children}
        finished: set[int] = set()
        open_readers = {reader: child for child, reader in children}
        while open_readers:
            ready = multiprocessing.connection.wait(list(open_readers), timeout=_WAIT_SECONDS)
            if not ready:
                on_wait()
            for reader in ready:
                child = open_readers[reader]
                try:
                    message = reader.recv()
                except (EOFError, OSError):
                    del open_readers[reader]  # the child ended (or died)
                    continue
                kind, index, payload = message
                if kind == "start":
                    started[child.pid].add(index)
                    continue
                finished.add(index)
                if kind == "error":
                    errors.append(payload)
                else:
                    on_result(self.batches[index], payload)
        for child, reader in children:
            child.join()
            reader.close()
        # Batches a dead child had taken, and any nobody took, are measured here.
        for index, batch in enumerate(self.batches):
            if index not in finished:
                on_result(batch, self.work(batch.step_ids))
        return errors

    def _child(self, next_batch, writer) -> None:
        try:
            while True:
                with next_batch.get_lock():
                    index = next_batch.value
                    next_batch.value += 1
                if index >= len(self.batches):
                    break
                writer.send(("start", index, None))
                try:
                    writer.send(("done", index, self.work(self.batches[index].step_ids)))
                except Exception as exc:  # its elements end up in the takeoff's warnings
                    writer.send(("error", index, f"{type(exc).__name__}: {exc}"))
        finally:
            writer.close()


def child_mb_estimate() -> float:
    """Memory a child adds (its meshes, iterator caches, pages it writes), judged from this
    process's size once the model is parsed (the parsed model dominates it)."""
    return _own_rss_mb() * _CHILD_SHARE_OF_PARENT


def default_processes() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def affordable_processes(requested: int, memory_mb: int | None, per_process_mb: float) -> int:
    """How many children fit: within `memory_mb` for the whole takeoff when given, else
    within the memory the machine (and this process's cgroup) has free."""
    used = _own_rss_mb()
    spare = memory_mb - used if memory_mb else _free_mb()
    if spare is None:
        return max(1, requested)
    return max(1, min(requested, int(spare // max(per_process_mb, 1.0))))


def _own_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _free_mb() -> float | None:
    free: list[float] = []
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    free.append(int(line.split()[1]) / 1024)
    except (OSError, ValueError):
        pass
    try:
        with (
            open("/sys/fs/cgroup/memory.max") as limit,
            open("/sys/fs/cgroup/memory.current") as current,
        ):
            ceiling = limit.read().strip()
            if ceiling != "max":
                free.append((int(ceiling) - int(current.read())) / 2**20)
    except (OSError, ValueError):
        pass
    return min(free) if free else None
