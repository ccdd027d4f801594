"""May this user write here? The one rule, asked by every door: API, pages, admin and the
background jobs that write to ERPNext with a stored user's key.

Writes that reach ERPNext (link, pull, push, BOM sync, mapping rules, the status of a linked
project) need the project role editor or admin AND a global role that is not viewer
(DESIGN.md, Users and roles): a global viewer made admin of a project still may not write to
ERPNext, neither directly nor through a status change that a background push carries there.
"""

from django.db.models import QuerySet

from openaec.exceptions import AccessDeniedError

from .models import ROLE_RANK, Project, ProjectMember, ProjectRole


def is_global_admin(user) -> bool:
    """Global admin, and False for anyone not signed in (the admin login page asks too)."""
    return bool(user is not None and user.is_authenticated and user.is_admin)


def project_role_for(*, user, project: Project) -> str | None:
    """The role the user acts with on the project: global admins act as project admins."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_admin:
        return ProjectRole.ADMIN
    member = ProjectMember.objects.filter(project=project, user=user).only("role").first()
    return member.role if member else None


def may_write(*, user, role: str | None) -> bool:
    """Whether a user acting with this project role may write (through to ERPNext)."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.can_edit
        and role is not None
        and ROLE_RANK[role] >= ROLE_RANK[ProjectRole.EDITOR]
    )


def projects_with_role(user, min_role: str) -> QuerySet[Project]:
    """The projects on which the user acts with at least `min_role` (admin form choices)."""
    visible = Project.objects.for_user(user)
    if user.is_authenticated and user.is_admin:
        return visible
    roles = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[min_role]]
    return visible.filter(members__user=user, members__role__in=roles)


def projects_writable(user) -> QuerySet[Project]:
    """The projects where may_write() holds for the user."""
    if not (user.is_authenticated and user.is_active and user.can_edit):
        return Project.objects.none()
    return projects_with_role(user, ProjectRole.EDITOR)


def project_may_write(*, user, project: Project) -> bool:
    """may_write() for the user's role on the project."""
    return may_write(user=user, role=project_role_for(user=user, project=project))


def require_global_writer(user, *, doing: str = "linking or syncing with ERPNext") -> None:
    """403 unless the global role is editor or admin (writes that belong to no project yet)."""
    if user is None or not user.is_authenticated or not user.is_active or not user.can_edit:
        raise AccessDeniedError(
            f"Access denied: your role does not allow {doing} (editor or admin needed)."
        )


def require_project_writer(
    *, user, project: Project, doing: str = "linking or syncing with ERPNext"
) -> str:
    """403 unless may_write() holds on the project; returns the user's role there."""
    require_global_writer(user, doing=doing)
    role = project_role_for(user=user, project=project)
    if not may_write(user=user, role=role):
        raise AccessDeniedError(
            f"Access denied: {doing} needs the editor or admin role on this project."
        )
    return role
