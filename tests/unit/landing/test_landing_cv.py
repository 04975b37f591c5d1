"""CV uploads are checked by content and structure: each refused case, and the good ones."""

from __future__ import annotations

import io
import zipfile

import pytest
from landing_support import minimal_docx, minimal_pdf

from landing.submissions.cv import MAX_CV_BYTES, CvRefused, check_cv

pytestmark = pytest.mark.unit


def refused(data: bytes, name: str) -> str:
    with pytest.raises(CvRefused) as caught:
        check_cv(io.BytesIO(data), name)
    return caught.value.code


def test_a_real_pdf_and_a_real_docx_are_accepted() -> None:
    pdf = check_cv(io.BytesIO(minimal_pdf()), "Mijn CV.PDF")
    docx = check_cv(io.BytesIO(minimal_docx()), "cv.docx")

    assert (pdf.kind, docx.kind) == ("pdf", "docx")
    assert pdf.media_type == "application/pdf"
    assert docx.size == len(minimal_docx())


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "cv.pdf"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "cv.pdf"),
        (b"\xcf\xfa\xed\xfe" + b"\x00" * 200, "cv.docx"),
        (b"#!/bin/sh\nrm -rf /\n", "cv.pdf"),
    ],
    ids=["windows-exe-as-pdf", "elf-as-pdf", "macho-as-docx", "script-as-pdf"],
)
def test_executables_renamed_as_a_cv_are_refused(data: bytes, name: str) -> None:
    assert refused(data, name) == "cv_executable"


def test_a_pdf_renamed_docx_and_a_docx_renamed_pdf_are_refused() -> None:
    assert refused(minimal_pdf(), "cv.docx") == "cv_type_mismatch"
    assert refused(minimal_docx(), "cv.pdf") == "cv_type_mismatch"


def test_other_content_is_refused_whatever_its_name() -> None:
    assert refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "cv.pdf") == "cv_unknown_type"
    assert refused(b"just some text", "cv.docx") == "cv_unknown_type"
    assert refused(b"", "cv.pdf") == "cv_empty"


def test_a_file_over_10_mb_is_refused() -> None:
    assert refused(b"%PDF-1.7\n" + b"0" * MAX_CV_BYTES, "cv.pdf") == "cv_too_large"


def test_a_broken_pdf_is_refused() -> None:
    assert refused(b"%PDF-1.7\nthis is not a pdf at all", "cv.pdf") == "cv_damaged"
    assert refused(minimal_pdf()[:200], "cv.pdf") == "cv_damaged"


def test_a_zip_bomb_is_refused_by_ratio() -> None:
    bomb = minimal_docx({"word/media/padding.bin": b"\x00" * (20 * 1024 * 1024)})

    assert len(bomb) < 100_000
    assert refused(bomb, "cv.docx") == "cv_suspicious"


def test_a_zip_bomb_is_refused_by_total_size() -> None:
    # Sixty parts of 1 MiB: each too small for the per-entry ratio check, together
    # they unpack to over 50 MB.
    big = minimal_docx({f"word/media/p{i}.bin": b"\x00" * (1024 * 1024) for i in range(60)})

    assert len(big) < MAX_CV_BYTES
    assert refused(big, "cv.docx") == "cv_suspicious"


def test_too_many_entries_are_refused() -> None:
    many = minimal_docx({f"word/media/{i}.xml": b"<a/>" for i in range(1200)})

    assert refused(many, "cv.docx") == "cv_suspicious"


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/etc/cron.d/x", "word/../../evil.xml", "C:\\evil.xml", "..\\x"]
)
def test_path_traversal_names_are_refused(name: str) -> None:
    assert refused(minimal_docx({name: b"<a/>"}), "cv.docx") == "cv_suspicious"


def test_a_zip_that_is_not_a_word_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")

    assert refused(buffer.getvalue(), "cv.docx") == "cv_damaged"


def test_a_docx_with_macros_or_xml_entities_is_refused() -> None:
    macro_types = minimal_docx(
        content_types=(
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Override PartName="/word/document.xml" '
            b'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
        )
    )
    vba = minimal_docx({"word/vbaProject.bin": b"\x00" * 10})
    laughs = minimal_docx(
        {
            "word/document.xml": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>'
        }
    )

    assert refused(macro_types, "cv.docx") == "cv_suspicious"
    assert refused(vba, "cv.docx") == "cv_suspicious"
    assert refused(laughs, "cv.docx") == "cv_suspicious"


def test_a_corrupt_zip_is_refused() -> None:
    good = bytearray(minimal_docx())
    good[60:80] = b"\xff" * 20  # inside the first entry's compressed data

    assert refused(bytes(good), "cv.docx") in {"cv_damaged", "cv_suspicious"}
    assert refused(b"PK\x03\x04garbage", "cv.docx") == "cv_damaged"
