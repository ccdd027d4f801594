"""Mapping rules (takeoff lines -> ERPNext items) and the BOM sync run (a job of the job core)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from jobs.models import Job, JobQuerySet
from projects.models import Project

from .constants import BOM_SYNC, MAX_NAME_LENGTH, MAX_PATTERN_LENGTH


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
    supplier = models.CharField(
        max_length=MAX_NAME_LENGTH,
        blank=True,
        help_text="ERPNext Supplier that purchase orders of this rule's lines go to.",
    )
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

    @property
    def waste_percent(self):
        """The waste factor as people read it: 0.05 is 5 (%)."""
        return self.waste_factor * 100


class BomSyncRunManager(models.Manager.from_queryset(JobQuerySet)):
    """Only the jobs of kind "bom_sync"."""

    def get_queryset(self) -> JobQuerySet:
        return super().get_queryset().filter(kind=BOM_SYNC)


class BomSyncRun(Job):
    """One sync of a model version's takeoff to an ERPNext BOM, as a job of kind "bom_sync".

    The frozen input (site, assembly item, plan, fingerprint) is in `params`, the outcome in
    `result`; these properties read them under the names the BOM pages and API use.
    """

    class Outcome(models.TextChoices):
        NONE = "", "—"
        CREATED = "created", "New BOM"
        UPDATED = "updated", "Draft BOM updated"
        SUBMITTED = "submitted", "Draft BOM submitted"
        DEFAULTED = "made_default", "Existing BOM made default"
        UNCHANGED = "unchanged", "Unchanged"

    objects = BomSyncRunManager()

    class Meta:
        proxy = True
        verbose_name = "BOM sync run"

    def __str__(self) -> str:
        return f"BOM sync {self.id} of {self.project} v{self.model_version_number} ({self.state})"

    def save(self, *args, **kwargs) -> None:
        self.kind = BOM_SYNC
        super().save(*args, **kwargs)

    @property
    def can_resume(self) -> bool:
        """A failed run, or one whose worker died, can be taken up again where it stopped."""
        return self.retried_as_id is None and (self.state == self.State.FAILED or self.is_stalled)

    @property
    def model_version_number(self) -> int | None:
        """The version synced (kept when the version is deleted)."""
        return self.params.get("model_version")

    @property
    def username(self) -> str:
        """Who started it."""
        return self.created_by_name

    @property
    def user(self):
        """Who started it (None when they left)."""
        return self.created_by

    @property
    def resumed_by(self):
        """Who resumed it last; the run then calls ERPNext as them."""
        return self.retried_by

    @property
    def options(self) -> dict:
        """The sync options as cleaned when it started."""
        return self.params.get("options", {})

    @property
    def erpnext_url(self) -> str:
        """The ERPNext site it writes to."""
        return self.params.get("erpnext_url", "")

    @property
    def erpnext_project(self) -> str:
        """The ERPNext project the BOM names."""
        return self.params.get("erpnext_project", "")

    @property
    def assembly_item(self) -> str:
        """The Item whose BOM is written."""
        return self.params.get("assembly_item", "")

    @property
    def plan(self) -> dict:
        """The frozen plan: rows and unmapped lines."""
        return self.params.get("plan", {})

    @property
    def fingerprint(self) -> str:
        """Fingerprint of the input; an unchanged re-sync is decided on it."""
        return self.params.get("fingerprint", "")

    @property
    def line_errors(self) -> list:
        """Lines ERPNext refused, each with the item and the reason."""
        return self.error_details

    def _outcome(self, name: str, default=""):
        return (self.result or {}).get(name, default)

    @property
    def outcome(self) -> str:
        """How a successful sync ended (an Outcome value)."""
        return self._outcome("outcome")

    def get_outcome_display(self) -> str:
        return self.Outcome(self.outcome).label if self.outcome in self.Outcome.values else ""

    @property
    def bom_name(self) -> str:
        """The BOM written or found."""
        return self._outcome("bom_name")

    @property
    def bom_modified(self) -> str:
        """ERPNext's `modified` of that BOM when the sync ended."""
        return self._outcome("bom_modified")

    @property
    def bom_docstatus(self) -> int | None:
        """0 draft, 1 submitted."""
        return self._outcome("bom_docstatus", None)
