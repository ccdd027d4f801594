"""Check, unpack and open IFC / .ifczip files so no raw IfcOpenShell error escapes."""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO

import ifcopenshell
import ifcopenshell.ifcopenshell_wrapper as wrapper

from .errors import (
    ArchiveTooLargeError,
    NotIfcError,
    TakeoffError,
    TruncatedIfcError,
    UnsupportedSchemaError,
)

DEFAULT_MAX_EXPANDED_BYTES = 4 * 1024**3
# IFC text compresses about 5-15x; a member that expands more than this many times the
# archive is refused as a zip bomb (below the floor, no archive is refused for its ratio).
MAX_EXPANSION_RATIO = 100
EXPANSION_FLOOR_BYTES = 16 * 1024**2
_MAGIC = b"ISO-10303-21;"
_END = b"END-ISO-10303-21;"
_HEAD_BYTES = 256 * 1024
_TAIL_BYTES = 64 * 1024
_CHUNK = 8 * 1024 * 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Names a file may declare, mapped to the schema IfcOpenShell 0.9 ships; the
# IFC4X3 editions differ only in details a quantity takeoff does not read.
_SCHEMA_ALIASES = {
    "IFC2X3": "IFC2X3",
    "IFC2X3_TC1": "IFC2X3",
    "IFC4": "IFC4",
    "IFC4_ADD1": "IFC4",
    "IFC4_ADD2": "IFC4",
    "IFC4_ADD2_TC1": "IFC4",
    "IFC4X3": "IFC4X3_ADD2",
    "IFC4X3_RC4": "IFC4X3_ADD2",
    "IFC4X3_TC1": "IFC4X3_ADD2",
    "IFC4X3_ADD1": "IFC4X3_ADD2",
    "IFC4X3_ADD2": "IFC4X3_ADD2",
}
_FILE_SCHEMA = re.compile(rb"FILE_SCHEMA\s*\(\s*\(\s*'([^']*)'", re.IGNORECASE)
_FILE_NAME = re.compile(rb"FILE_NAME\s*\((.*?)\)\s*;", re.IGNORECASE | re.DOTALL)
_TRAILING_COMMENTS = re.compile(rb"(?:\s|\x00|/\*.*?\*/)*\Z", re.DOTALL)
# Both start at '=' rather than '#id' so the regex engine can skip ahead fast (2x on 27 MB).
_RECORD_CLASS = re.compile(rb"=\s*([A-Za-z]\w*)\s*\(")
_UNIT_RECORD = re.compile(
    rb"=\s*(IFC(?:SIUNIT|CONVERSIONBASEDUNIT\w*|MEASUREWITHUNIT|UNITASSIGNMENT|APPLICATION))"
    rb"\s*\((.*?)\)\s*;",
    re.DOTALL,
)
_RECORD_ID = re.compile(rb"#(\d+)\s*\Z")
_SI_PREFIX = {
    "EXA": 1e18,
    "PETA": 1e15,
    "TERA": 1e12,
    "GIGA": 1e9,
    "MEGA": 1e6,
    "KILO": 1e3,
    "HECTO": 1e2,
    "DECA": 1e1,
    "DECI": 1e-1,
    "CENTI": 1e-2,
    "MILLI": 1e-3,
    "MICRO": 1e-6,
    "NANO": 1e-9,
    "PICO": 1e-12,
    "FEMTO": 1e-15,
    "ATTO": 1e-18,
}


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a model is, read without loading it: schema, size, origin and length unit."""

    schema: str
    element_count: int
    application: str | None
    length_unit: str
    length_scale: float


@dataclass(frozen=True, slots=True)
class IfcHeader:
    """The STEP header of a model: the schema as IfcOpenShell names it and as declared."""

    schema: str  # as IfcOpenShell names it
    declared_schema: str
    originating_system: str | None

    @property
    def family(self) -> str:
        """IFC2X3, IFC4 or IFC4X3: the schema as the API and the database name it."""
        return self.schema.split("_")[0]


def read_header(
    path: str | Path, *, max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES
) -> IfcHeader:
    """The checked header of a plain .ifc or of the one .ifc inside an .ifczip (cheap: reads
    the first bytes only). Uploads are sniffed with this, the takeoff checks with it too."""
    with _open_stream(Path(path), max_expanded_bytes) as stream:
        return parse_header(stream.read(_HEAD_BYTES))


def read_model_info(
    path: str | Path, *, max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES
) -> ModelInfo:
    """Scan the file once (no IfcOpenShell parse) for schema, element count, application, units."""
    with _open_stream(Path(path), max_expanded_bytes) as stream:
        head = stream.read(_HEAD_BYTES)
        header = parse_header(head)
        counts: Counter[bytes] = Counter()
        units: dict[int, tuple[str, bytes]] = {}
        tail = b""
        buffer = head
        while True:
            chunk = stream.read(_CHUNK)
            if chunk:
                buffer += chunk
            # Split after the last ';' so no record header straddles two chunks.
            cut = buffer.rfind(b";") + 1 if chunk else len(buffer)
            work, buffer = buffer[:cut], buffer[cut:]
            counts.update(_RECORD_CLASS.findall(work))
            for match in _UNIT_RECORD.finditer(work):
                record_id = _RECORD_ID.search(work, max(0, match.start() - 24), match.start())
                if record_id:
                    units[int(record_id[1])] = (match[1].decode(), match[2])
            tail = (tail + work)[-_TAIL_BYTES:]
            if not chunk:
                break
    check_tail(tail)
    element_classes = _element_class_names(header.schema)
    element_count = sum(n for name, n in counts.items() if name.upper() in element_classes)
    unit_name, unit_scale = _length_unit_from_records(units)
    application = _application_from_records(units) or header.originating_system
    return ModelInfo(
        schema=header.family,
        element_count=element_count,
        application=application,
        length_unit=unit_name,
        length_scale=unit_scale,
    )


def parse_header(head: bytes) -> IfcHeader:
    """Check the STEP magic and FILE_SCHEMA at the start of a file."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(_MAGIC):
        raise NotIfcError(
            "This is not an IFC file: it does not start with 'ISO-10303-21;' "
            "(export the model from the authoring tool as IFC)."
        )
    match = _FILE_SCHEMA.search(stripped)
    if match is None:
        if b"ENDSEC" not in stripped.upper() and len(head) < _HEAD_BYTES:
            raise TruncatedIfcError("The IFC file ends inside its header; it was cut short.")
        raise UnsupportedSchemaError(
            "The IFC file does not say which schema it uses (no FILE_SCHEMA)."
        )
    declared = match[1].decode("ascii", "replace").strip().upper()
    schema = _SCHEMA_ALIASES.get(declared)
    if schema is None:
        raise UnsupportedSchemaError(
            f"The file uses the IFC schema '{declared}'; only IFC2X3, IFC4 and IFC4X3 can be "
            "taken off. Export it again as IFC2X3, IFC4 or IFC4X3."
        )
    originating = None
    if name_match := _FILE_NAME.search(stripped):
        args = _split_args(name_match[1])
        if len(args) >= 6:
            originating = _decode_string(args[5])
    return IfcHeader(schema=schema, declared_schema=declared, originating_system=originating)


def check_tail(tail: bytes) -> None:
    """Raise TruncatedIfcError unless the data ends with END-ISO-10303-21;."""
    end = _TRAILING_COMMENTS.search(tail)
    body = tail[: end.start()] if end else tail
    if not body.upper().endswith(_END):
        raise TruncatedIfcError(
            "The IFC file is incomplete: it does not end with 'END-ISO-10303-21;'. "
            "It was probably cut short during upload or export; upload it again."
        )


@contextlib.contextmanager
def checked_ifc_path(path: str | Path, max_expanded_bytes: int) -> Iterator[tuple[Path, IfcHeader]]:
    """Yield a checked plain .ifc path (unzipped or header-patched into a temp dir when needed)."""
    path = Path(path)
    if not path.is_file():
        raise NotIfcError(f"There is no file at '{path.name}'.")
    with contextlib.ExitStack() as stack:
        zipped = _is_zip(path)
        with _open_stream(path, max_expanded_bytes) as stream:
            header = parse_header(stream.read(_HEAD_BYTES))
        if not zipped:
            with path.open("rb") as fh:
                fh.seek(max(0, path.stat().st_size - _TAIL_BYTES))
                check_tail(fh.read())
        if zipped or header.schema != header.declared_schema:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="takeoff-")))
            target = tmp / "model.ifc"
            with _open_stream(path, max_expanded_bytes) as stream, target.open("wb") as out:
                _copy_patched(stream, out, header)
            with target.open("rb") as fh:
                fh.seek(max(0, target.stat().st_size - _TAIL_BYTES))
                check_tail(fh.read())
            path = target
        yield path, header


def open_model(path: Path, *, lazy: bool) -> ifcopenshell.file:
    """Open a checked .ifc path; IfcOpenShell's own errors become TakeoffErrors."""
    try:
        return ifcopenshell.open(path, format=".ifc", lazy=lazy)
    except ifcopenshell.SchemaError as exc:
        raise UnsupportedSchemaError(f"IfcOpenShell does not support this schema ({exc}).") from exc
    except Exception as exc:  # the parser raises bare Error/IOError/RuntimeError
        # The parser's own message ("check logs") means nothing to a cost engineer; it stays
        # on the exception chain for the server log.
        raise TruncatedIfcError(
            "The IFC file could not be read: its data section has a syntax error, so it is "
            "damaged or was cut short. Export or upload it again."
        ) from exc


def _is_zip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) in _ZIP_MAGIC


@contextlib.contextmanager
def _open_stream(path: Path, max_expanded_bytes: int) -> Iterator[IO[bytes]]:
    """Open the .ifc bytes of a plain file or of the .ifc member of a zip, size-capped."""
    if not path.is_file():
        raise NotIfcError(f"There is no file at '{path.name}'.")
    if not _is_zip(path):
        with path.open("rb") as fh:
            yield fh
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and info.filename.lower().endswith(".ifc")
                and not info.filename.startswith("__MACOSX/")
            ]
            if not members:
                raise NotIfcError("The .ifczip archive holds no .ifc file.")
            if len(members) > 1:
                # Taking one silently could price the wrong model.
                raise NotIfcError(
                    f"The .ifczip archive holds {len(members)} .ifc files; "
                    "upload one model per archive."
                )
            member = members[0]
            limit = _expansion_limit(path.stat().st_size, max_expanded_bytes)
            if member.file_size > limit:
                raise ArchiveTooLargeError(_too_large(member.file_size, limit))
            with archive.open(member) as raw:
                yield _CappedReader(raw, limit)
    except NotImplementedError as exc:
        raise TakeoffError(
            f"The .ifczip uses a compression method this server cannot read ({exc}); "
            "zip it again with standard Deflate."
        ) from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise TruncatedIfcError(f"The .ifczip archive is damaged or cut short ({exc}).") from exc


class _CappedReader:
    """A read-only stream that refuses to expand past a byte limit (declared sizes can lie)."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._read += len(data)
        if self._read > self._limit:
            raise ArchiveTooLargeError(_too_large(self._read, self._limit))
        return data


def _expansion_limit(archive_size: int, max_expanded_bytes: int) -> int:
    by_ratio = max(archive_size * MAX_EXPANSION_RATIO, EXPANSION_FLOOR_BYTES)
    return min(max_expanded_bytes, by_ratio)


def _too_large(size: int, limit: int) -> str:
    return (
        f"The .ifczip expands to more than {limit:,} bytes (at least {size:,}; at most "
        f"{MAX_EXPANSION_RATIO} times the archive's size is accepted); "
        "it is refused as a possible zip bomb. Upload the .ifc itself or a smaller model."
    )


def _copy_patched(stream: IO[bytes], out: IO[bytes], header: IfcHeader) -> None:
    first = stream.read(_HEAD_BYTES)
    if header.schema != header.declared_schema:
        first = _FILE_SCHEMA.sub(
            lambda m: m[0].replace(m[1], header.schema.encode()), first, count=1
        )
    out.write(first)
    shutil.copyfileobj(stream, out, _CHUNK)


@cache
def _element_class_names(schema: str) -> frozenset[bytes]:
    """Upper-case names of IfcElement subtypes that are neither features nor virtual."""
    decl = wrapper.schema_by_name(schema)
    excluded = {"IfcFeatureElement", "IfcVirtualElement"}
    names: set[bytes] = set()
    todo = [decl.declaration_by_name("IfcElement")]
    while todo:
        entity = todo.pop()
        if entity.name() in excluded:
            continue
        names.add(entity.name().upper().encode())
        todo.extend(entity.subtypes())
    return frozenset(names)


def _split_args(text: bytes) -> list[bytes]:
    """Split a STEP argument list at top-level commas, honouring strings and parentheses."""
    args, depth, start, in_string = [], 0, 0, False
    for i, ch in enumerate(text):
        if ch == 0x27:  # quote; a doubled '' toggles twice and so stays inside the string
            in_string = not in_string
        elif in_string:
            continue
        elif ch == 0x28:
            depth += 1
        elif ch == 0x29:
            depth -= 1
        elif ch == 0x2C and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
    args.append(text[start:].strip())
    return args


def _decode_string(token: bytes) -> str | None:
    """Decode a STEP string literal ('' quotes, \\X2\\ / \\X\\ / \\S\\ escapes); $ -> None."""
    token = token.strip()
    if not (token.startswith(b"'") and token.endswith(b"'")) or len(token) < 2:
        return None
    text = token[1:-1].decode("latin-1").replace("''", "'")
    text = re.sub(
        r"\\X2\\((?:[0-9A-Fa-f]{4})+)\\X0\\",
        lambda m: "".join(chr(int(m[1][i : i + 4], 16)) for i in range(0, len(m[1]), 4)),
        text,
    )
    text = re.sub(r"\\X\\([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)), text)
    text = re.sub(r"\\S\\(.)", lambda m: chr(ord(m[1]) + 128), text)
    return text or None


def _length_unit_from_records(records: dict[int, tuple[str, bytes]]) -> tuple[str, float]:
    """Find the LENGTHUNIT of the unit assignment among scanned records; METRE if none."""

    def scale_of(ref: int, depth: int = 0) -> tuple[str, float] | None:
        kind, raw = records.get(ref, ("", b""))
        args = _split_args(raw)
        if kind == "IFCSIUNIT" and len(args) >= 4:
            prefix = args[2].strip(b".").decode()
            name = args[3].strip(b".").decode()
            return prefix.replace("$", "") + name, _SI_PREFIX.get(prefix, 1.0)
        if kind.startswith("IFCCONVERSIONBASEDUNIT") and len(args) >= 4 and depth < 4:
            measure = records.get(_ref(args[3]), ("", b""))[1]
            margs = _split_args(measure)
            number = re.search(rb"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", margs[0])
            inner = scale_of(_ref(margs[1]), depth + 1) if len(margs) > 1 else None
            if number and inner:
                return (_decode_string(args[2]) or "UNKNOWN").upper(), float(number[0]) * inner[1]
        return None

    for kind, raw in records.values():
        if kind != "IFCUNITASSIGNMENT":
            continue
        for ref in re.findall(rb"#(\d+)", raw):
            _, unit_raw = records.get(int(ref), ("", b""))
            args = _split_args(unit_raw)
            if len(args) >= 2 and args[1].strip(b".").upper() == b"LENGTHUNIT":
                found = scale_of(int(ref))
                if found:
                    return found
    return "METRE", 1.0


def _application_from_records(records: dict[int, tuple[str, bytes]]) -> str | None:
    for kind, raw in records.values():
        if kind == "IFCAPPLICATION":
            args = _split_args(raw)
            if len(args) >= 3:
                parts = [_decode_string(args[2]), _decode_string(args[1])]
                return " ".join(p for p in parts if p) or None
    return None


def _ref(token: bytes) -> int:
    match = re.search(rb"#(\d+)", token)
    return int(match[1]) if match else -1
