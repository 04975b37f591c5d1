"""Is this upload a CV we may keep? Checked by content and structure, not by its name.

A CV is a PDF (starts with ``%PDF-`` and pypdf can read its pages) or a DOCX (a zip with
``[Content_Types].xml`` declaring a Word main document and ``word/document.xml``, both
well-formed XML read with defusedxml). Refused with a code the page explains:

- executables (``MZ``, ELF, Mach-O, scripts) whatever they are called: ``cv_executable``;
- content that is neither: ``cv_unknown_type``; a PDF called ``.docx`` or the other way
  round: ``cv_type_mismatch`` (the name is what the recruiter will open it by);
- zips that unpack to more than 50 MB, compress one entry more than 100:1, hold more
  than 1,000 entries, or carry path-traversal or absolute names, and Word files with
  macros: ``cv_suspicious``;
- anything a parser chokes on: ``cv_damaged``.

Pure apart from reading the file object it is given (no storage, no clock).
"""

from __future__ import annotations

import logging
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO, Literal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_CV_BYTES = 10 * 1024 * 1024
MAX_DOCX_ENTRIES = 1000
MAX_DOCX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_DOCX_RATIO = 100
RATIO_CHECK_FROM = 1024 * 1024  # small XML parts compress well and harm nobody
MAX_XML_PART = 20 * 1024 * 1024

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"

CvKind = Literal["pdf", "docx"]
MEDIA_TYPES: dict[CvKind, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O, both endians and widths, and fat binaries
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",  # scripts
)
_EXTENSIONS: dict[str, CvKind] = {".pdf": "pdf", ".docx": "docx"}


class CvRefused(Exception):
    """The upload is not a CV we keep; ``code`` says why (see ``messages.FIELD_ERRORS``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedCv:
    kind: CvKind
    size: int

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]


def check_cv(data: BinaryIO, filename: str) -> CheckedCv:
    """Raise :class:`CvRefused` unless ``data`` is a readable PDF or DOCX named as such."""
    data.seek(0, 2)
    size = data.tell()
    if size == 0:
        raise CvRefused("cv_empty")
    if size > MAX_CV_BYTES:
        raise CvRefused("cv_too_large")
    data.seek(0)
    head = data.read(8)
    data.seek(0)
    if head.startswith(_EXECUTABLE_MAGIC):
        raise CvRefused("cv_executable")
    kind: CvKind
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"PK\x03\x04"):
        kind = "docx"
    else:
        raise CvRefused("cv_unknown_type")
    named = _EXTENSIONS.get(PurePosixPath(filename.replace("\\", "/")).suffix.lower())
    if named != kind:
        raise CvRefused("cv_type_mismatch")
    if kind == "pdf":
        _check_pdf(data)
    else:
        _check_docx(data)
    data.seek(0)
    return CheckedCv(kind=kind, size=size)


def _check_pdf(data: BinaryIO) -> None:
    from pypdf import PdfReader

    pypdf_log = logging.getLogger("pypdf")
    previous = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # a candidate's odd PDF is not our log's concern
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(data, strict=False)
            pages = len(reader.pages)
    # pypdf raises many exception types on hostile input (its own, ValueError, KeyError,
    # RecursionError...); any of them means "we cannot read this as a PDF".
    except Exception as exc:
        raise CvRefused("cv_damaged") from exc
    finally:
        pypdf_log.setLevel(previous)
    if pages < 1:
        raise CvRefused("cv_damaged")


def _unsafe_name(name: str) -> bool:
    normalised = name.replace("\\", "/")
    parts = normalised.split("/")
    return (
        normalised.startswith("/")
        or ".." in parts
        or (len(parts[0]) >= 2 and parts[0][1] == ":")  # C:...
        or "\x00" in name
    )


def _check_docx(data: BinaryIO) -> None:
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise CvRefused("cv_damaged") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_DOCX_ENTRIES:
            raise CvRefused("cv_suspicious")
        declared = 0
        for entry in entries:
            if _unsafe_name(entry.filename):
                raise CvRefused("cv_suspicious")
            declared += entry.file_size
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > RATIO_CHECK_FROM and ratio > MAX_DOCX_RATIO:
                raise CvRefused("cv_suspicious")
        if declared > MAX_DOCX_UNCOMPRESSED:
            raise CvRefused("cv_suspicious")
        names = {entry.filename for entry in entries}
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            raise CvRefused("cv_damaged")
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise CvRefused("cv_suspicious")
        _read_all(archive, entries)
        content_types = _xml(archive, "[Content_Types].xml")
        main_types = {
            override.get("ContentType")
            for override in content_types.iter(f"{CONTENT_TYPES_NS}Override")
            if override.get("PartName") == "/word/document.xml"
        }
        if "application/vnd.ms-word.document.macroEnabled.main+xml" in main_types:
            raise CvRefused("cv_suspicious")
        if WORD_MAIN not in main_types:
            raise CvRefused("cv_damaged")
        _xml(archive, "word/document.xml")


def _read_all(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Unpack every entry (bounded by the declared sizes checked above), so a corrupt
    stream or a wrong checksum is found now rather than by the recruiter."""
    try:
        for entry in entries:
            with archive.open(entry) as stream:
                while stream.read(1024 * 1024):
                    pass
    except (
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,
        OSError,
        EOFError,
        ValueError,
    ) as exc:
        raise CvRefused("cv_damaged") from exc


def _xml(archive: zipfile.ZipFile, name: str) -> Element:
    entry = archive.getinfo(name)
    if entry.file_size > MAX_XML_PART:
        raise CvRefused("cv_suspicious")
    try:
        parsed: Element = fromstring(archive.read(entry))
        return parsed
    except DefusedXmlException as exc:
        raise CvRefused("cv_suspicious") from exc
    except (ParseError, ValueError, zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise CvRefused("cv_damaged") from exc
