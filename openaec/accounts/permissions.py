"""Role checks for the API."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsEditorOrAdmin(BasePermission):
    """Global role admin or editor (viewers may only read)."""

    message = "Your role does not allow this (editor or admin needed)."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.can_edit)


class ReadOnlyOrEditor(IsEditorOrAdmin):
    """Anyone signed in may read; writing needs editor or admin."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)
