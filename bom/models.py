"""Mapping rules (takeoff lines -> ERPNext items) and the record of every BOM sync run."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.models import ModelVersion, Project

from .constants import MAX_NAME_LENGTH, MAX_PATTERN_LENGTH


class QuantityKind(models.TextChoices):
    """Which takeoff quantity a rule puts on the BOM (SI units: pcs, m, m², m³, kg)."""

    COUNT = "count", "Count"
    LENGTH = "length", "Length"
    AREA = "area", "Area"
    VOLUME = "volume", "Volume"
    WEIGHT = "weight", "Weight"


class MappingRuleQuerySet(models.QuerySet):
    """Rules of one project together with the shared defaults."""

    def for_project(self, project: Project) -> "MappingRuleQuerySet":
        """The project's own rules and the shared defaults that apply to every project."""
        return self.filter(Q(project=project) | Q(project__isnull=True))

    def shared(self) -> "MappingRuleQuerySet":
        """The shared defaults only."""
        return self.filter(project__isnull=True)


class MappingRule(models.Model):
    """Maps takeoff lines (IFC class, type name, material; * and ? allowed) to an ERPNext item.

    A rule without a project is a shared default; a project's own rules win over those.
    """

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="bom_rules",
        help_text="Empty: a shared default for every project.",
    )
    ifc_class = models.CharField(max_length=MAX_PATTERN_LENGTH, default="*")
    type_name = models.CharField(max_length=MAX_PATTERN_LENGTH, default="*")
    material = models.CharField(max_length=MAX_PATTERN_LENGTH, default="*")
    item_code = models.CharField(max_length=MAX_NAME_LENGTH)
    item_name = models.CharField(
        max_length=MAX_NAME_LENGTH,
        blank=True,
        help_text="Name for the Item if the sync creates it.",
    )
    quantity = models.CharField(max_length=16, choices=QuantityKind.choices)
    uom = models.CharField("UOM", max_length=MAX_NAME_LENGTH)
    waste_factor = models.DecimalField(
        max_digits=6, decimal_places=4, default=0, help_text="0.05 adds 5 % to the quantity."
    )
    unit_factor = models.DecimalField(
        max_digits=18,
        decimal_places=6,
        default=1,
        help_text="Multiplies the SI quantity into the UOM (0.001 for kg -> tonne).",
    )
    rate = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True, help_text="Rate per UOM, if known."
    )
    priority = models.IntegerField(default=0, help_text="Higher is tried first.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bom_rules",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MappingRuleQuerySet.as_manager()

    class Meta:
        db_table = "bom_mapping_rules"
        ordering = ["project_id", "-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(waste_factor__gte=0) & Q(waste_factor__lte=1),
                name="bom_rule_waste_factor_range",
            ),
            models.CheckConstraint(condition=Q(unit_factor__gt=0), name="bom_rule_unit_factor_pos"),
            models.CheckConstraint(
                condition=Q(rate__isnull=True) | Q(rate__gte=0), name="bom_rule_rate_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ifc_class} / {self.type_name} / {self.material} -> {self.item_code}"

    @property
    def is_shared(self) -> bool:
        """A default for every project."""
        return self.project_id is None


class BomSyncRunQuerySet(models.QuerySet):
    """Runs of the projects a user may see."""

    def for_user(self, user) -> "BomSyncRunQuerySet":
        """Runs of projects visible to the user."""
        return self.filter(project__in=Project.objects.for_user(user))


class BomSyncRun(models.Model):
    """One sync of a model version's takeoff to an ERPNext BOM: input, progress and outcome."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        CREATED = "created", "New BOM"
        UPDATED = "updated", "Draft BOM updated"
        SUBMITTED = "submitted", "Draft BOM submitted"
        DEFAULTED = "made_default", "Existing BOM made default"
        UNCHANGED = "unchanged", "Unchanged"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="bom_sync_runs")
    model_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bom_sync_runs",
    )
    model_version_number = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bom_sync_runs",
    )
    username = models.CharField(max_length=150, help_text="Who started it, kept if they leave.")
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who resumed it last; the run then calls ERPNext with their credentials.",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done, 0 to 100.")
    phase = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    options = models.JSONField(default=dict, blank=True)
    erpnext_url = models.CharField("ERPNext site", max_length=512)
    erpnext_project = models.CharField(max_length=MAX_NAME_LENGTH, blank=True)
    assembly_item = models.CharField(max_length=MAX_NAME_LENGTH)
    plan = models.JSONField(default=dict, blank=True, help_text="Rows and unmapped lines.")
    fingerprint = models.CharField(max_length=64, blank=True)
    bom_name = models.CharField("BOM", max_length=MAX_NAME_LENGTH, blank=True)
    bom_modified = models.CharField(max_length=32, blank=True)
    bom_docstatus = models.PositiveSmallIntegerField(null=True, blank=True)
    documents = models.JSONField(default=list, blank=True, help_text="ERPNext documents written.")
    line_errors = models.JSONField(default=list, blank=True)
    http_requests = models.PositiveIntegerField(default=0)
    reads = models.PositiveIntegerField(default=0)
    writes = models.PositiveIntegerField(default=0)
    checkpoint = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BomSyncRunQuerySet.as_manager()

    class Meta:
        db_table = "bom_sync_runs"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="bom_run_progress_max_100"),
            # One sync per project at a time: two would race for the same assembly item's BOM.
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(state__in=["queued", "running"]),
                name="bom_run_one_active_per_project",
            ),
        ]

    def __str__(self) -> str:
        return f"BOM sync {self.id} of {self.project} v{self.model_version_number} ({self.state})"

    @property
    def is_finished(self) -> bool:
        """Succeeded or failed."""
        return self.state in {self.State.SUCCEEDED, self.State.FAILED}

    @property
    def can_resume(self) -> bool:
        """A failed run can be taken up again where it stopped."""
        return self.state == self.State.FAILED
