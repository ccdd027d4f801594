"""Receiving IFC uploads: stream to disk while hashing, stop at the size limit.

What the file is (STEP header, schema, ifczip) is read by integrations.ifc.model_file, the one
IFC header parser.
"""

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler


@dataclass
class UploadReceipt:
    """What receiving an upload found out, handed to the view and the service explicitly."""

    too_large: bool = False
    sha256: dict[str, str] = field(default_factory=dict)  # per multipart field name


class IfcUploadHandler(TemporaryFileUploadHandler):
    """Write every uploaded file to a temporary file, hashing it on the way (one pass, no RAM).

    Over IFC_UPLOAD_MAX_BYTES the upload stops at once and the receipt says so, so the view
    can answer 413 without reading the rest of the body.
    """

    def __init__(self, request=None, *, receipt: UploadReceipt) -> None:
        super().__init__(request)
        self.receipt = receipt

    def new_file(self, field_name, *args, **kwargs) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.digest = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > settings.IFC_UPLOAD_MAX_BYTES:
            self.receipt.too_large = True
            raise StopUpload(connection_reset=True)
        self.digest.update(raw_data)
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int):
        self.receipt.sha256[self.field_name] = self.digest.hexdigest()
        return super().file_complete(file_size)


def install_upload_handler(request) -> UploadReceipt:
    """Use IfcUploadHandler for this request (call before anything reads the body); returns
    the receipt it fills."""
    receipt = UploadReceipt()
    request.upload_handlers = [IfcUploadHandler(request, receipt=receipt)]
    return receipt


def declared_body_too_large(request) -> bool:
    """The Content-Length alone already exceeds the limit (64 KiB allowed for multipart framing)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    return declared.isdigit() and int(declared) > settings.IFC_UPLOAD_MAX_BYTES + 64 * 1024


def body_length_missing(request) -> bool:
    """A body sent without Content-Length (chunked transfer encoding): the WSGI server hands
    Django an empty body, so the file would look missing."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or not declared.isdigit()


def format_bytes(size: int) -> str:
    """1073741824 -> '1.0 GiB'."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover
