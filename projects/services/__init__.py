"""Writes of projects: projects and members, model version uploads, the takeoff job."""

from .projects import (
    project_create,
    project_delete,
    project_member_change_check,
    project_member_remove,
    project_member_set,
    project_update,
)
from .takeoff import takeoff_job_enqueue, takeoff_job_retry
from .versions import (
    DuplicateUploadError,
    LengthRequiredError,
    UploadTooLargeError,
    model_version_create,
)

__all__ = [
    "DuplicateUploadError",
    "LengthRequiredError",
    "UploadTooLargeError",
    "model_version_create",
    "project_create",
    "project_delete",
    "project_member_change_check",
    "project_member_remove",
    "project_member_set",
    "project_update",
    "takeoff_job_enqueue",
    "takeoff_job_retry",
]
