"""BIM projects, their members, IFC model versions and takeoff results (jobs: see jobs/)."""

import uuid

from django.conf import settings
from django.db import models


class ProjectRole(models.TextChoices):
    """A member's role on one project (OpenAEC's hierarchy: admin > editor > viewer)."""

    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


ROLE_RANK = {ProjectRole.VIEWER: 1, ProjectRole.EDITOR: 2, ProjectRole.ADMIN: 3}


class ProjectQuerySet(models.QuerySet):
    """Who may see a project is decided here, for the API, the pages and the admin alike."""

    def for_user(self, user) -> "ProjectQuerySet":
        """Projects the user is a member of; global admins see every project."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_admin:
            return self.all()
        return self.filter(members__user=user).distinct()


class Project(models.Model):
    """A building project on the BIM side, in OpenAEC's shape (UUID id, unique slug)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    code = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_projects"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        db_table = "projects"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class ProjectMember(models.Model):
    """A user's role on one project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    role = models.CharField(max_length=16, choices=ProjectRole.choices, default=ProjectRole.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "project_members"
        ordering = ["project", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.project} ({self.role})"


class ModelVersionQuerySet(models.QuerySet):
    """Model versions of the projects a user may see."""

    def for_user(self, user) -> "ModelVersionQuerySet":
        """Versions of projects visible to the user."""
        return self.filter(project__in=Project.objects.for_user(user))


def model_upload_to(instance: "ModelVersion", filename: str) -> str:
    """Store uploads under a name of our own; the user's file name is kept in a field."""
    suffix = ".ifczip" if filename.lower().endswith(".ifczip") else ".ifc"
    return f"ifc/{instance.project_id}/{uuid.uuid4().hex}{suffix}"


class ModelVersion(models.Model):
    """One uploaded IFC file of a project, numbered 1, 2, 3... per project."""

    class Schema(models.TextChoices):
        IFC2X3 = "IFC2X3", "IFC2X3"
        IFC4 = "IFC4", "IFC4"
        IFC4X3 = "IFC4X3", "IFC4X3"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_versions")
    number = models.PositiveIntegerField()
    original_filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=model_upload_to, max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    schema = models.CharField(max_length=16, choices=Schema.choices, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="uploaded_model_versions",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    failure_reason = models.TextField(blank=True)
    element_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        db_table = "model_versions"
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="model_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.number} ({self.original_filename})"

    @property
    def is_ready(self) -> bool:
        """The takeoff finished and its rows can be read."""
        return self.state == self.State.READY


class TakeoffElement(models.Model):
    """One element (or one material layer of it) of a model version, quantities in SI units."""

    class Source(models.TextChoices):
        QTO = "qto", "Quantity set"
        GEOMETRY = "geometry", "Geometry"
        DERIVED = "derived", "Derived (weight from material density)"
        NONE = "none", "None"

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="takeoff_elements"
    )
    global_id = models.CharField(max_length=64)
    ifc_class = models.CharField(max_length=64)
    predefined_type = models.CharField(max_length=64, blank=True)
    type_name = models.CharField(max_length=255, blank=True)
    storey = models.CharField(max_length=255, blank=True)
    material = models.CharField(max_length=512, blank=True)
    layer = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Index of the material layer; empty when not layered."
    )
    count = models.FloatField(
        default=0, help_text="1 per row; a line counts its distinct elements, never layer shares."
    )
    length = models.FloatField(null=True, blank=True)
    area = models.FloatField(null=True, blank=True)
    volume = models.FloatField(null=True, blank=True)
    weight = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.NONE)
    implausible = models.BooleanField(
        default=False, help_text="The exported volume is larger than the element's body can hold."
    )
    measured_volume = models.FloatField(
        null=True, blank=True, help_text="The mesh's volume, offered beside an implausible one."
    )

    class Meta:
        db_table = "takeoff_elements"
        ordering = ["model_version", "id"]
        indexes = [
            models.Index(fields=["model_version", "ifc_class"], name="takeoff_el_class_idx"),
            models.Index(fields=["model_version", "material"], name="takeoff_el_material_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ifc_class} {self.global_id}"
