"""Reads of projects, model versions and takeoff results. Selectors never write."""

from dataclasses import dataclass, replace

from django.db.models import Case, Count, F, Q, QuerySet, Sum, When

from jobs.models import Job
from openaec.exceptions import AccessDeniedError, ApplicationError, ConflictError, NotFoundError
from openaec.parsers import whole_number

from .models import (
    ROLE_RANK,
    ModelVersion,
    Project,
    ProjectMember,
    ProjectRole,
    TakeoffElement,
)
from .permissions import project_role_for
from .takeoff_query import QUANTITIES, TakeoffQuery

TAKEOFF = "takeoff"  # the job kind that works on a model version's rows

# Projects and roles


def project_list_for_user(*, user) -> QuerySet[Project]:
    """The projects the user may see, newest first."""
    return Project.objects.for_user(user).select_related("owner").order_by("-created_at")


def project_get_for_user(
    *, slug: str, user, min_role: str = ProjectRole.VIEWER
) -> tuple[Project, str]:
    """The project and the user's role on it, or OpenAEC's 404 / 403.

    An unknown slug and a project the user is not a member of are both "Project not found"
    (GitHub's rule: a stranger learns nothing about which slugs exist); a member who lacks the
    role is "Access denied".
    """
    project = Project.objects.select_related("owner").filter(slug=slug).first()
    role = project_role_for(user=user, project=project) if project is not None else None
    if role is None:
        raise NotFoundError("Project not found")
    if ROLE_RANK[role] < ROLE_RANK[min_role]:
        raise AccessDeniedError("Access denied")
    return project, role


def project_member_list(*, project: Project) -> QuerySet[ProjectMember]:
    """The project's members with their users."""
    return project.members.select_related("user").order_by("user__username")


# Model versions


def model_version_list(*, project: Project) -> QuerySet[ModelVersion]:
    """The project's model versions, newest first, with their uploader and latest job."""
    return project.model_versions.select_related("uploaded_by").order_by("-number")


def parse_version_number(raw) -> int:
    """A version number from a URL or query string; anything else is a 400."""
    text = str(raw).strip()
    number = whole_number(text)
    if number is None or number < 1:
        raise ApplicationError(f"Model version must be a positive whole number, not {text[:40]!r}.")
    return number


def model_version_get(*, project: Project, number) -> ModelVersion:
    """One version of the project by its number."""
    number = parse_version_number(number)
    version = (
        project.model_versions.select_related("uploaded_by", "project")
        .filter(number=number)
        .first()
    )
    if version is None:
        raise NotFoundError(f"Model version {number} not found")
    return version


def model_version_latest_job(*, version: ModelVersion) -> Job | None:
    """The newest takeoff job of this version."""
    return version.jobs.filter(kind=TAKEOFF).order_by("-created_at").first()


def model_version_latest_jobs(*, versions: list[ModelVersion]) -> dict[int, Job]:
    """The newest job of each version, in one query (for lists)."""
    latest: dict[int, Job] = {}
    jobs = Job.objects.filter(model_version__in=versions, kind=TAKEOFF).order_by(
        "model_version_id", "created_at"
    )
    for job in jobs.only("id", "model_version_id", "state", "progress"):
        latest[job.model_version_id] = job
    return latest


def model_version_ready(*, project: Project, number) -> ModelVersion:
    """A version whose takeoff is ready to read; 409 while it is queued, running or failed."""
    version = model_version_get(project=project, number=number)
    if not version.is_ready:
        reason = f": {version.failure_reason}" if version.failure_reason else ""
        raise ConflictError(
            f"Model version {version.number} has no takeoff yet (state: {version.state}){reason}",
            extra={"state": version.state},
        )
    return version


# Takeoff results


def _line_annotations(query: TakeoffQuery) -> dict:
    # Layers of one element repeat its length and area: count them on one row only, unless
    # the lines are per material or layer (the rule of integrations.ifc.aggregate).
    once = None if query.splits_layers else Q(layer__isnull=True) | Q(layer=0)
    sums = {
        f"sum_{name}": Sum(name, filter=once if name in ("length", "area") else None)
        for name in QUANTITIES
        if name != "count"
    }
    sources = {
        f"n_{source}": Count("id", filter=Q(source=source))
        for source in TakeoffElement.Source.values
    }
    # A count is whole pieces: the distinct elements of the line, never summed layer shares
    # (rows stored before this rule carry a layer's thickness share in their count column).
    pieces = {name: Count("global_id", distinct=True) for name in ("sum_count", "element_count")}
    # Both readings of an implausible exported volume: as exported (volume) and with the
    # measured one in its place (measured_volume), so the user sees and chooses.
    flags = {
        "implausible_count": Count("global_id", distinct=True, filter=Q(implausible=True)),
        "sum_measured_volume": Sum(
            Case(
                When(implausible=True, measured_volume__isnull=False, then=F("measured_volume")),
                default=F("volume"),
            )
        ),
    }
    return {**sums, **pieces, **sources, **flags}


def _key_value(value):
    return None if value == "" else value


def _line_from_row(row: dict, group_by: tuple[str, ...]) -> dict:
    line = {field: _key_value(row[field]) for field in group_by}
    for name in QUANTITIES:
        value = row[f"sum_{name}"]
        line[name] = (value or 0) if name == "count" else value
    line["element_count"] = row["element_count"]
    line["sources"] = sorted(s for s in TakeoffElement.Source.values if row[f"n_{s}"])
    line["implausible_count"] = row["implausible_count"]
    line["measured_volume"] = row["sum_measured_volume"] if row["implausible_count"] else None
    return line


def takeoff_elements(*, version: ModelVersion, query: TakeoffQuery) -> QuerySet[TakeoffElement]:
    """The version's element rows that pass the query's filters."""
    return TakeoffElement.objects.filter(query.as_q(), model_version=version)


def takeoff_lines(*, version: ModelVersion, query: TakeoffQuery) -> "TakeoffLines":
    """Aggregated lines (sums per group) computed by the database, ordered by the group key."""
    rows = (
        takeoff_elements(version=version, query=query)
        .order_by()
        .values(*query.group_by)
        .annotate(**_line_annotations(query))
        .order_by(*query.group_by)
    )
    return TakeoffLines(rows=rows, group_by=query.group_by)


@dataclass
class TakeoffLines:
    """A lazily evaluated, sliceable list of takeoff lines (dicts), for pagination and CSV."""

    rows: QuerySet
    group_by: tuple[str, ...]

    def count(self) -> int:
        return self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if isinstance(item, slice):
            return [_line_from_row(row, self.group_by) for row in self.rows[item]]
        return _line_from_row(self.rows[item], self.group_by)

    def __iter__(self):
        for row in self.rows.iterator(chunk_size=2000):
            yield _line_from_row(row, self.group_by)


def takeoff_totals(*, version: ModelVersion, query: TakeoffQuery) -> dict:
    """Sums over every filtered element (the footer of a takeoff).

    An element's length and area count once here even when the lines are per material,
    so a total is the model's, not the sum of the layers' repeated faces.
    """
    overall = replace(query, group_by=())
    row = takeoff_elements(version=version, query=query).aggregate(**_line_annotations(overall))
    return _line_from_row(row, ())


CHART_MEASURES = (("volume", "m³"), ("area", "m²"), ("count", "pcs"))


def takeoff_chart_by_material(
    *, version: ModelVersion, query: TakeoffQuery, limit: int = 10
) -> tuple[str, str, list[tuple[str, float]]]:
    """The largest quantities per material: volume, else area, else count.

    Returns (measure, unit, [(material, value), ...]) with the biggest first.
    """
    elements = takeoff_elements(version=version, query=query)
    for measure, unit in CHART_MEASURES:
        total = Count("global_id", distinct=True) if measure == "count" else Sum(measure)
        rows = (
            elements.order_by()
            .values("material")
            .annotate(total=total)
            .filter(total__gt=0)
            .order_by("-total", "material")[:limit]
        )
        bars = [(row["material"] or "(no material)", row["total"]) for row in rows]
        if bars:
            return measure, unit, bars
    return "count", "pcs", []


def takeoff_diff(*, old: ModelVersion, new: ModelVersion, query: TakeoffQuery) -> list[dict]:
    """Per line: added, removed, changed or unchanged between two versions, with deltas.

    Lines come from the database; matching and the "changed" rule are integrations.ifc.diff's.
    """
    from integrations.ifc import diff

    before = [
        _as_takeoff_line(line, query.group_by) for line in takeoff_lines(version=old, query=query)
    ]
    after = [
        _as_takeoff_line(line, query.group_by) for line in takeoff_lines(version=new, query=query)
    ]
    return [_diff_line(item, query.group_by) for item in diff(before, after)]


def _as_takeoff_line(line: dict, group_by: tuple[str, ...]):
    from integrations.ifc import TakeoffLine

    return TakeoffLine(
        key={field: None if line[field] is None else str(line[field]) for field in group_by},
        count=line["count"],
        length=line["length"],
        area=line["area"],
        volume=line["volume"],
        weight=line["weight"],
        element_count=line["element_count"],
        sources=tuple(line["sources"]),
    )


DIFF_QUANTITIES = (*QUANTITIES, "element_count")


def _typed_key(field: str, value: str | None):
    # diff() compares keys as strings; give the layer index back as the number it is.
    return int(value) if field == "layer" and value is not None else value


def _diff_line(item, group_by: tuple[str, ...]) -> dict:
    def side(name: str) -> dict | None:
        if (item.status == "added" and name == "old") or (
            item.status == "removed" and name == "new"
        ):
            return None
        return {q: getattr(item.quantities[q], name) for q in DIFF_QUANTITIES}

    return {
        **{field: _typed_key(field, item.key.get(field)) for field in group_by},
        "status": item.status,
        "old": side("old"),
        "new": side("new"),
        "delta": {q: item.quantities[q].delta for q in DIFF_QUANTITIES},
    }
