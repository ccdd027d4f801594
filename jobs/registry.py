"""Job kinds: each app registers a handler for its kind in its AppConfig.ready().

The runner looks the handler up by name at run time, so a service that queues a job never
imports the module that runs it (no services -> tasks -> services cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Job
    from .runner import JobContext


@dataclass(frozen=True)
class JobKind:
    """What the core needs to know of one kind of job."""

    name: str
    label: str
    run: Callable[[JobContext], dict[str, Any]]
    # Undo or mark what the job was working on when it fails (also when found stalled).
    on_failed: Callable[[Job, str], None] | None = None
    # Run the job again for `user`: returns the job now queued (a new one, or the same).
    retry: Callable[..., Job] | None = None
    # Whether `user` may retry this job (the page shows the button only then).
    may_retry: Callable[..., bool] | None = None
    retry_label: str = "Run it again"
    stalled_message: str = "The worker stopped while running this job; run it again."
    # Takeoffs redo everything, so a job a dead worker left "running" may be taken again;
    # a BOM sync is taken only when queued (another worker may still be writing).
    reclaim_running: bool = False
    # A template with the kind's own facts, included in the one job page.
    template: str = ""


_KINDS: dict[str, JobKind] = {}


def register(name: str, run: Callable[[JobContext], dict[str, Any]], **options: Any) -> JobKind:
    """Register the handler of a kind (again on a reload: the last registration wins)."""
    kind = JobKind(name=name, run=run, label=options.pop("label", name), **options)
    _KINDS[name] = kind
    return kind


def get(name: str) -> JobKind | None:
    """The registered kind, or None."""
    return _KINDS.get(name)


def label_of(name: str) -> str:
    """A kind's label for people ("Quantity takeoff"); the raw name when unknown."""
    kind = _KINDS.get(name)
    return kind.label if kind else name
