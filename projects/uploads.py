"""Receiving IFC uploads: stream to disk while hashing, stop at the size limit, sniff the header."""

import hashlib
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler

HEADER_PEEK_BYTES = 64 * 1024
STEP_MAGIC = b"ISO-10303-21"
ZIP_MAGIC = b"PK\x03\x04"
_FILE_SCHEMA = re.compile(rb"FILE_SCHEMA\s*\(\s*\(\s*'([^']*)'", re.IGNORECASE)
SUPPORTED_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3")


class IfcUploadHandler(TemporaryFileUploadHandler):
    """Write every uploaded file to a temporary file, hashing it on the way (one pass, no RAM).

    Over IFC_UPLOAD_MAX_BYTES the upload stops at once and `request.ifc_upload_too_large`
    is set, so the view can answer 413 without reading the rest of the body.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.sha256 = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > settings.IFC_UPLOAD_MAX_BYTES:
            self.request.ifc_upload_too_large = True
            raise StopUpload(connection_reset=True)
        self.sha256.update(raw_data)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int):
        uploaded = super().file_complete(file_size)
        uploaded.sha256 = self.sha256.hexdigest()
        return uploaded


def install_upload_handler(request) -> None:
    """Use IfcUploadHandler for this request; call before anything reads the body."""
    request.upload_handlers = [IfcUploadHandler(request)]
    request.ifc_upload_too_large = False


def declared_body_too_large(request) -> bool:
    """The Content-Length alone already exceeds the limit (64 KiB allowed for multipart framing)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    return declared.isdigit() and int(declared) > settings.IFC_UPLOAD_MAX_BYTES + 64 * 1024


def format_bytes(size: int) -> str:
    """1073741824 -> '1.0 GiB'."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover


@dataclass(frozen=True)
class HeaderInfo:
    """What the first bytes of a file say: its container and its IFC schema."""

    container: str  # "step" or "zip"
    schema: str  # one of SUPPORTED_SCHEMAS, or "" when a zip could not be peeked into


class NotAnIfcFile(ValueError):
    """The first bytes show the file is not an IFC (STEP) file nor an ifczip."""


def sniff_header(head: bytes, *, path=None) -> HeaderInfo:
    """Read the container and schema from the first bytes of an upload (cheap: no parsing).

    `path` lets an ifczip be peeked into (the first .ifc member's header); a zip that cannot
    be read here is left for the takeoff, which gives the precise reason.
    """
    if head.startswith(ZIP_MAGIC):
        inner = _zip_head(path) if path is not None else None
        if inner is None:
            return HeaderInfo(container="zip", schema="")
        return HeaderInfo(container="zip", schema=_step_schema(inner))
    return HeaderInfo(container="step", schema=_step_schema(head))


def _step_schema(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(STEP_MAGIC):
        raise NotAnIfcFile(
            "The file is not an IFC model: it does not start with the STEP header "
            "'ISO-10303-21;' (nor is it an .ifczip archive)."
        )
    match = _FILE_SCHEMA.search(text)
    if match is None:
        raise NotAnIfcFile(
            "The file's STEP header names no FILE_SCHEMA, so it is not an IFC model."
        )
    return normalise_schema(match.group(1).decode("ascii", "replace"))


def normalise_schema(raw: str) -> str:
    """'IFC4X3_ADD2' -> 'IFC4X3', 'IFC4_ADD2' -> 'IFC4'; refuse schemas we do not read."""
    name = raw.strip().upper()
    for family in ("IFC4X3", "IFC2X3", "IFC4"):
        if name == family or name.startswith(family + "_"):
            return family
    raise NotAnIfcFile(
        f"Unsupported IFC schema {raw.strip()!r}: this server reads "
        f"{', '.join(SUPPORTED_SCHEMAS[:-1])} and {SUPPORTED_SCHEMAS[-1]}."
    )


def _zip_head(path) -> bytes | None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if i.filename.lower().endswith(".ifc")]
            if len(members) != 1:
                return None
            with archive.open(members[0]) as member:
                return member.read(HEADER_PEEK_BYTES)
    except (zipfile.BadZipFile, NotImplementedError, OSError, RuntimeError, EOFError):
        return None
