"""Upload checks: size, and the real type sniffed from the bytes (the client's claim is not trusted)."""

from __future__ import annotations

import codecs
import os
import unicodedata

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from servicedesk.errors import DomainError, ValidationFailed

# Sniffed MIME type -> extensions it may carry. Anything else is refused; HTML and SVG never get here
# because they are text and not on the text allow-list.
BINARY_TYPES: dict[str, set[str]] = {
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "image/bmp": {".bmp"},
    "application/pdf": {".pdf"},
    "application/zip": {".zip"},
    "application/x-7z-compressed": {".7z"},
    "application/gzip": {".gz", ".tgz"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {".xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {".pptx"},
    "application/msword": {".doc"},
    "application/vnd.ms-excel": {".xls"},
    "application/x-ole-storage": {".doc", ".xls", ".ppt", ".msg"},
}
# Office files are zip containers; some sniffers report the container only.
ZIP_CONTAINERS = {".docx", ".xlsx", ".pptx"}
TEXT_TYPES: dict[str, str] = {
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".json": "application/json",
}


class UploadTooLarge(DomainError):
    status_code = 413


def clean_filename(name: str) -> str:
    """A display name without paths or control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".") or "file"
    root, ext = os.path.splitext(name)
    ext = ext[:20]  # no real extension is longer; a longer one would overflow the 200-character column
    return root[: 180 - len(ext)] + ext.lower()


def inspect_upload(upload: UploadedFile, *, max_bytes: int) -> tuple[str, str]:
    """Return (display name, content type) for an acceptable upload, or raise a translated error."""
    if upload.size is None or upload.size == 0:
        raise ValidationFailed({"file": [_("The file is empty.")]})
    if upload.size > max_bytes:
        raise UploadTooLarge(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)}
        )
    name = clean_filename(upload.name or "")
    ext = os.path.splitext(name)[1]
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None:
        allowed = BINARY_TYPES.get(kind.mime)
        if kind.mime == "application/zip" and ext in ZIP_CONTAINERS:
            return name, _office_type(ext)
        if allowed and ext in allowed:
            return name, kind.mime
    elif ext in TEXT_TYPES and _looks_like_plain_text(head):
        return name, TEXT_TYPES[ext]
    raise ValidationFailed(
        {
            "file": [
                _(
                    "This type of file is not accepted. Send images, PDF, Office documents, "
                    "plain text, logs or zip archives."
                )
            ]
        }
    )


def _office_type(ext: str) -> str:
    return {
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }[ext]


MARKUP_STARTS = ("<!doctype", "<html", "<head", "<body", "<svg", "<?xml", "<script", "<iframe", "<object", "<embed")


def _decode_head(head: bytes) -> str | None:
    """The head as text (UTF-8, else GB18030), or None if it is neither. The head is cut at 8 KiB and may end
    inside a multi-byte character: an incremental decoder keeps such a trailing fragment instead of failing."""
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None


def _looks_like_plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    text = _decode_head(head)
    if text is None:
        return False
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    # Markup is refused even under a .txt name (or behind a byte-order mark): a browser must never get a chance
    # to render it.
    return not lowered.startswith(MARKUP_STARTS)
