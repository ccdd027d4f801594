"""Writes of projects and their members."""

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from openaec.exceptions import AccessDeniedError, ApplicationError, ConflictError, NotFoundError

from ..models import Project, ProjectMember, ProjectRole

logger = logging.getLogger(__name__)

SLUG_MAX_BASE = 200


def project_create(
    *, user, name: str, description: str = "", code: str = "", status: str = Project.Status.OPEN
) -> Project:
    """Create a project with a unique slug from its name; the creator becomes its admin member."""
    if not user.can_edit:
        raise AccessDeniedError("Access denied: viewers cannot create projects.")
    name = name.strip()
    if not name:
        raise ApplicationError("name: This field may not be blank.")
    base = slugify(name)[:SLUG_MAX_BASE].strip("-") or "project"
    for _ in range(5):
        try:
            with transaction.atomic():
                project = Project.objects.create(
                    name=name,
                    slug=_free_slug(base),
                    description=description or "",
                    code=code or "",
                    status=status,
                    owner=user,
                )
                ProjectMember.objects.create(project=project, user=user, role=ProjectRole.ADMIN)
            return project
        except IntegrityError:
            # Another request took the same slug between the check and the insert: try again.
            continue
    raise ConflictError("Could not find a free slug for this project name; try another name.")


def _free_slug(base: str) -> str:
    taken = set(Project.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    counter = 1
    while f"{base}-{counter}" in taken:
        counter += 1
    return f"{base}-{counter}"


def project_update(
    *,
    project: Project,
    name: str | None = None,
    description: str | None = None,
    code: str | None = None,
    status: str | None = None,
    actor=None,
) -> Project:
    """Change the given fields (None leaves a field as it is, as in OpenAEC); the slug stays.

    A status change goes to the ERPNext link (erp app): recorded, and pushed after commit.
    """
    old_status = project.status
    if status is not None and status != old_status:
        from erp.services import project_status_change_check

        project_status_change_check(project=project, actor=actor)
    changes = {"description": description, "code": code, "status": status}
    if name is not None:
        if not name.strip():
            raise ApplicationError("name: This field may not be blank.")
        changes["name"] = name.strip()
    for field, value in changes.items():
        if value is not None:
            setattr(project, field, value)
    project.save()
    if project.status != old_status:
        from erp.services import project_status_changed

        project_status_changed(
            project=project, old_status=old_status, new_status=project.status, actor=actor
        )
    return project


def project_delete(*, project: Project) -> None:
    """Delete a project with its members, versions, takeoffs and jobs; files go after commit."""
    names = list(project.model_versions.exclude(file="").values_list("file", flat=True))
    with transaction.atomic():
        project.delete()
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete stored model file %s", name)


def project_member_set(*, project: Project, user_id, role: str) -> tuple[ProjectMember, bool]:
    """Add a member or change their role; returns (member, created).

    The last admin of a project cannot be demoted, so someone can always manage it.
    """
    if role not in ProjectRole.values:
        raise ApplicationError(f"role must be one of {', '.join(ProjectRole.values)}.")
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise NotFoundError("User not found")
    with transaction.atomic():
        member = (
            ProjectMember.objects.select_for_update().filter(project=project, user=user).first()
        )
        if member is None:
            return ProjectMember.objects.create(project=project, user=user, role=role), True
        project_member_change_check(member=member, role=role)
        member.role = role
        member.save(update_fields=["role"])
        return member, False


def project_member_remove(*, project: Project, user_id) -> None:
    """Remove a member; the last admin cannot be removed, so someone can always manage it."""
    with transaction.atomic():
        member = (
            ProjectMember.objects.select_for_update()
            .filter(project=project, user_id=user_id)
            .first()
        )
        if member is None:
            raise NotFoundError("Member not found")
        project_member_change_check(member=member, role=None)
        member.delete()


def project_member_change_check(*, member: ProjectMember, role: str | None) -> None:
    """409 when the change (a new role, or None for removal) leaves the project without admin."""
    if member.role != ProjectRole.ADMIN or role == ProjectRole.ADMIN:
        return
    if (
        ProjectMember.objects.filter(project_id=member.project_id, role=ProjectRole.ADMIN).count()
        <= 1
    ):
        what = "removed" if role is None else "demoted"
        raise ConflictError(f"The project's last admin cannot be {what}.")
