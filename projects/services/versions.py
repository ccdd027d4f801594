"""Writes of model versions: storing an uploaded IFC file as the next version."""

import hashlib
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from integrations.ifc import TakeoffError
from integrations.ifc.model_file import IfcHeader, read_header
from openaec.exceptions import ApplicationError, ConflictError

from ..models import ModelVersion, Project
from ..uploads import format_bytes
from .takeoff import takeoff_job_enqueue


class LengthRequiredError(ApplicationError):
    """The body came without Content-Length (chunked), which this server does not read."""

    status_code = 411

    def __init__(self) -> None:
        super().__init__(
            "Length required: send the file with a Content-Length header; chunked transfer "
            "encoding is not accepted for uploads (curl -F sends the length by itself)."
        )


class UploadTooLargeError(ApplicationError):
    """The uploaded file is over IFC_UPLOAD_MAX_BYTES."""

    status_code = 413

    def __init__(self) -> None:
        limit = settings.IFC_UPLOAD_MAX_BYTES
        super().__init__(
            f"The file is larger than the upload limit of {format_bytes(limit)} ({limit} bytes)."
        )


class DuplicateUploadError(ConflictError):
    """The file is byte for byte a version the project already has (same SHA-256)."""

    def __init__(self, existing: ModelVersion) -> None:
        super().__init__(
            f"This file is identical to version {existing.number} "
            f"({existing.original_filename}, same SHA-256): it would give the same takeoff. "
            "To store it again as a new version anyway, send allow_duplicate=true.",
            extra={"duplicate_of": existing.number},
        )
        self.existing = existing


def model_version_create(
    *,
    project: Project,
    user,
    upload: UploadedFile,
    sha256: str | None = None,
    allow_duplicate: bool = False,
) -> ModelVersion:
    """Store an uploaded IFC file as the project's next version and queue its takeoff.

    The file is checked from its first bytes (a STEP header naming IFC2X3, IFC4 or IFC4X3,
    or an ifczip holding one, not a zip bomb); anything else is refused with a 400 before it
    is kept. `sha256` is the digest taken while the upload was received, when there was one.
    A file identical to an earlier version is a 409 (DuplicateUploadError) unless
    `allow_duplicate`.
    """
    if upload is None:
        raise ApplicationError("No file was uploaded: send it as the multipart field 'file'.")
    if not upload.size:
        raise ApplicationError("The uploaded file is empty.")
    if upload.size > settings.IFC_UPLOAD_MAX_BYTES:
        raise UploadTooLargeError()
    header = _read_header(upload)
    sha256 = sha256 or _sha256_of(upload)
    if not allow_duplicate:
        _refuse_duplicate(project, sha256)
    filename = Path(upload.name or "model.ifc").name[:255]

    version = ModelVersion(
        project=project,
        original_filename=filename,
        sha256=sha256,
        size=upload.size,
        schema=header.family,
        uploaded_by=user,
    )
    # The file goes to storage before the row exists, so no lock is held while it is written.
    version.file.save(filename, upload, save=False)
    try:
        with transaction.atomic():
            Project.objects.select_for_update().filter(pk=project.pk).first()
            if not allow_duplicate:  # again under the lock: two uploads of one file at once
                _refuse_duplicate(project, sha256)
            last = project.model_versions.aggregate(last=Max("number"))["last"] or 0
            version.number = last + 1
            version.save()
            takeoff_job_enqueue(version=version, user=user)
    except BaseException:
        version.file.delete(save=False)
        raise
    return version


def _refuse_duplicate(project: Project, sha256: str) -> None:
    existing = project.model_versions.filter(sha256=sha256).order_by("-number").first()
    if existing is not None:
        raise DuplicateUploadError(existing)


def _read_header(upload: UploadedFile) -> IfcHeader:
    limit = settings.IFC_MAX_EXPANDED_BYTES
    try:
        if hasattr(upload, "temporary_file_path"):
            return read_header(upload.temporary_file_path(), max_expanded_bytes=limit)
        with tempfile.NamedTemporaryFile(suffix=".upload") as copy:  # an in-memory upload
            upload.seek(0)
            shutil.copyfileobj(upload, copy)
            copy.flush()
            return read_header(copy.name, max_expanded_bytes=limit)
    except TakeoffError as exc:
        raise ApplicationError(str(exc)) from exc
    finally:
        upload.seek(0)


def _sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
