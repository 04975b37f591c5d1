"""Bytes to text, the way ad-platform exports really arrive.

Meta and LinkedIn write UTF-8, often with a byte-order mark so that Excel shows the
accents right; Google Ads' "CSV (Excel)" download is UTF-16 (little-endian, with a BOM,
tab-separated); a file that went through Excel on Windows and was saved as "CSV" is
cp1252 ("€" is byte 0x80 there). We try, in this order: a BOM, UTF-16 without a BOM
(recognised by its NUL bytes), strict UTF-8, cp1252. Anything that still decodes into
control characters is not a text file (an image, a workbook, random bytes) and is
refused with a message that says what to upload instead.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from campaigns.spend.parser.errors import EmptyFile, NotATextFile

# Files people upload by mistake, recognised by their first bytes.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or a zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_EXPORT_AS_CSV = (
    "In the ad platform's report, choose Export (or Download) and pick CSV, then upload that file."
)


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    """The codec that read the file: "utf-8-sig", "utf-16", "utf-16-le", "utf-8", "cp1252"."""


def decode_export(data: bytes) -> DecodedText:
    """The file's text; raises ``EmptyFile`` or ``NotATextFile`` with a helpful message."""
    if not data.strip():
        raise EmptyFile("The uploaded file is empty. " + _EXPORT_AS_CSV)
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise NotATextFile(f"This file is {what}, not a CSV export. " + _EXPORT_AS_CSV)
    decoded = _decode(data)
    if _looks_binary(decoded.text):
        raise NotATextFile(
            "This file does not contain readable text, so it is not a CSV export. " + _EXPORT_AS_CSV
        )
    if not decoded.text.strip():
        raise EmptyFile("The uploaded file is empty. " + _EXPORT_AS_CSV)
    return decoded


def _decode(data: bytes) -> DecodedText:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                raise NotATextFile(
                    "The file starts like a text file but its content cannot be read. "
                    + _EXPORT_AS_CSV
                ) from exc
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError as exc:  # the five bytes cp1252 leaves undefined
        raise NotATextFile(
            "This file does not contain readable text, so it is not a CSV export. " + _EXPORT_AS_CSV
        ) from exc


def _utf16_without_bom(data: bytes) -> DecodedText | None:
    """UTF-16 text of mostly ASCII has a NUL in every other byte; find which half."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    encoding = None
    if odd_nuls > 0.4 * half and even_nuls < 0.1 * half:
        encoding = "utf-16-le"
    elif even_nuls > 0.4 * half and odd_nuls < 0.1 * half:
        encoding = "utf-16-be"
    if encoding is None or len(data) % 2:
        return None
    try:
        return DecodedText(data.decode(encoding), encoding)
    except UnicodeDecodeError:
        return None


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return True
    controls = sum(
        1
        for char in sample
        if char not in _ALLOWED_CONTROLS and unicodedata.category(char) in ("Cc", "Cs", "Co")
    )
    replacement = sample.count("\ufffd")
    return (controls + replacement) > max(2, len(sample) // 200)
