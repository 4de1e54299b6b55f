"""Report photos: every photo, from a phone, the admin or a bundle, is cleaned here first.

Only JPEG, PNG and WebP are read. A photo is turned upright, scaled to at most
`MAX_SIDE` pixels on its longest side and encoded anew with no metadata at all: no
EXIF with its GPS position, no XMP, no comments. Its colour profile is applied and
then dropped: the pixels are converted to sRGB, which browsers and the PDF assume
for an image without one, so a phone's wide-gamut photo keeps its colours and what
is stored is the picture and nothing else.
"""

from __future__ import annotations

import io
import math
import secrets
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .models import Report, ReportPhoto

MAX_PHOTO_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000
MAX_SIDE = 2000
MAX_PHOTOS_PER_REPORT = 12
JPEG_QUALITY = 85
# A phone's multi-picture JPEG (MPO) is opened by Pillow's JPEG reader; GIF, SVG and
# every other kind are not even parsed.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
SRGB = ImageCms.createProfile("sRGB")


class PhotoError(Exception):
    """A photo that cannot be taken; the message is for people."""


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: upright, at most `MAX_SIDE` pixels a side, no metadata."""

    content: bytes
    extension: str
    width: int
    height: int


def _too_large() -> PhotoError:
    return PhotoError(
        _("The photo is larger than %(size)s MB.") % {"size": MAX_PHOTO_BYTES // (1024 * 1024)}
    )


def read_upload(upload: UploadedFile) -> bytes:
    """Read an uploaded photo, never holding more than the limit and one byte of it."""
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise _too_large()
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large()
    return data


def clean_upload(upload: UploadedFile) -> CleanPhoto:
    """Read and clean an uploaded photo."""
    return clean_photo(read_upload(upload))


def clean_photo(data: bytes) -> CleanPhoto:
    """Check a photo and give it back upright, scaled and encoded anew without metadata."""
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large()
    try:
        image = _open(data)
        image = ImageOps.exif_transpose(image)
        image = _in_srgb(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        return _encode(image)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PhotoError(_("The photo is damaged or incomplete.")) from exc


def _open(data: bytes) -> Image.Image:
    too_many_pixels = PhotoError(
        _("The photo has more than %(count)s million pixels.") % {"count": MAX_PIXELS // 1_000_000}
    )
    try:
        # Pillow only warns between its own limit and twice that. Our limit is lower
        # and checked before decoding; the warning is an error here all the same.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise too_many_pixels
            _require_whole(data, image.format)
            scale = MAX_SIDE / max(image.size)
            if image.format in ("JPEG", "MPO") and scale < 1:
                # Decode a large JPEG at a fraction of its size, never below what is kept.
                image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise too_many_pixels from exc
    except UnidentifiedImageError as exc:
        raise PhotoError(_("This is not a photo: send a JPEG, PNG or WebP image.")) from exc
    return image


def _require_whole(data: bytes, kind: str) -> None:
    """Refuse a file cut short.

    Pillow would, but WeasyPrint turns that off for the whole process when it is
    imported (`ImageFile.LOAD_TRUNCATED_IMAGES`), so the check is made here. WebP's
    decoder refuses a cut file by itself.
    """
    if kind == "PNG":
        # Reads every chunk to the end and checks its checksum.
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            image.verify()
    elif kind in ("JPEG", "MPO") and not _jpeg_reaches_its_end(data):
        raise OSError("the JPEG ends before its end marker")


def _jpeg_reaches_its_end(data: bytes) -> bool:
    """Whether a JPEG's first picture has its end marker after its scans.

    The marker segments before the first scan are stepped over, so that the end
    marker of a thumbnail inside the EXIF data does not count.
    """
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xDA:
            return data.find(b"\xff\xd9", position + 2 + length) != -1
        position += 2 + length
    return False


def _in_srgb(image: Image.Image) -> Image.Image:
    """Convert from the photo's own colour profile, so that its colours survive without it."""
    profile = image.info.get("icc_profile")
    if not profile:
        return image
    mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        return ImageCms.profileToProfile(image, io.BytesIO(profile), SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A profile that does not fit the pixels or cannot be read: the pixels as they are.
        return image


def _encode(image: Image.Image) -> CleanPhoto:
    """PNG where the photo has transparency, else a JPEG in RGB."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        # A 16-bit grey PNG: scaled to 8 bits, which converting alone would clip to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("P", "PA", "LA") or "transparency" in image.info:
        image = image.convert("RGBA")
    transparent = image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255
    image = image.convert("RGBA" if transparent else "RGB")
    image.info = {}
    buffer = io.BytesIO()
    if transparent:
        image.save(buffer, "PNG", optimize=True)
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(
        content=buffer.getvalue(),
        extension="png" if transparent else "jpg",
        width=image.width,
        height=image.height,
    )


def too_many() -> str:
    """Why a report takes no more photos."""
    return _("A report has at most %(count)s photos.") % {"count": MAX_PHOTOS_PER_REPORT}


@transaction.atomic
def save_report_photo(
    report: Report, photo: CleanPhoto, *, caption: str = "", bundle_path: str = ""
) -> ReportPhoto:
    """Store a cleaned photo as the report's last, refusing more than the limit.

    The file is written at once; a caller whose own transaction may still roll back
    removes it then (the import does).
    """
    # One upload at a time per report, so that two phones cannot both add the last photo.
    Report.objects.select_for_update().only("pk").get(pk=report.pk)
    photos = ReportPhoto.objects.filter(report=report)
    if photos.count() >= MAX_PHOTOS_PER_REPORT:
        raise PhotoError(too_many())
    last = photos.aggregate(last=Max("position"))["last"]
    saved = ReportPhoto(
        report=report,
        caption=caption,
        bundle_path=bundle_path,
        position=0 if last is None else last + 1,
    )
    _store(saved, photo)
    return saved


def _store(saved: ReportPhoto, photo: CleanPhoto) -> None:
    # A random name: the photo's own file name may say who took it, and where.
    name = f"{secrets.token_urlsafe(12)}.{photo.extension}"
    saved.image.save(name, ContentFile(photo.content), save=False)
    try:
        saved.save()
    except BaseException:
        saved.image.delete(save=False)
        raise


@transaction.atomic
def replace_image(saved: ReportPhoto, photo: CleanPhoto) -> None:
    """Put a cleaned photo in place of a stored one's picture; the old file goes on commit."""
    old_name, storage = saved.image.name, saved.image.storage
    _store(saved, photo)
    transaction.on_commit(lambda: storage.delete(old_name))
