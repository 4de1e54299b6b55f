"""The report photo pipeline: what it refuses, and what it makes of a phone's photo."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image, ImageFile

from sessions_app import photos
from sessions_app.models import Report, ReportPhoto
from sessions_app.photos import PhotoError, clean_photo, clean_upload, save_report_photo

from . import images
from .documents import media_files, row_counts
from .factories import make_topic
from .images import BAD_PHOTOS

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(meeting) -> Report:
    return Report.objects.create(topic=make_topic(meeting, title="Freight", cell="A1"))


def clean_and_save(report: Report, data: bytes) -> ReportPhoto:
    """What a phone's upload does: clean the photo, then store it."""
    return save_report_photo(report, clean_photo(data), caption="The sheet")


def opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


@pytest.mark.parametrize(
    ("what", "make", "message"), BAD_PHOTOS, ids=[row[0] for row in BAD_PHOTOS]
)
def test_clean_photo_refuses_a_bad_file_and_saves_nothing(
    report, settings, monkeypatch, what, make, message
):
    # As it is once WeasyPrint is imported: Pillow itself no longer refuses a cut file.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = make()
    before = (row_counts(), media_files(settings))

    with pytest.raises(PhotoError) as refused:
        clean_and_save(report, data)

    assert str(refused.value) == message
    assert (row_counts(), media_files(settings)) == before


def test_clean_photo_treats_pillows_bomb_warning_as_an_error(monkeypatch):
    # With the pipeline's own limit out of the way, Pillow's warning alone refuses it.
    monkeypatch.setattr(photos, "MAX_PIXELS", 10**10)

    with pytest.raises(PhotoError, match="more than"):
        clean_photo(images.png_header_only(10_000, 10_000))


def test_clean_photo_turns_a_phone_photo_upright_scales_it_and_strips_metadata():
    photo = clean_photo(images.phone_photo(4000, 2000))

    image = opened(photo.content)
    assert (photo.extension, image.format, image.mode) == ("jpg", "JPEG", "RGB")
    assert image.size == (photo.width, photo.height) == (1000, 2000)
    # Upright: what was stored on the left is now on top.
    red, green, blue = image.getpixel((500, 300))
    assert red > 200 and blue < 60
    red, green, blue = image.getpixel((500, 1700))
    assert blue > 200 and red < 60
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
    for trace in (b"Exif", b"TestPhone", b"xmpmeta", b"<script", b"ICC_PROFILE"):
        assert trace not in photo.content


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_clean_photo_accepts_a_whole_file_while_pillow_reads_cut_ones(monkeypatch, kind):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    photo = clean_photo(images.noise(kind))

    assert (photo.width, photo.height) == (400, 300)


def test_clean_photo_keeps_a_small_photo_at_its_size():
    photo = clean_photo(images.phone_photo(300, 200))

    assert (photo.width, photo.height) == (200, 300)


def test_clean_photo_keeps_a_png_with_transparency_as_png():
    image = Image.new("RGBA", (100, 50), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 50, 50))

    photo = clean_photo(images.encode(image, "PNG"))

    cleaned = opened(photo.content)
    assert (photo.extension, cleaned.format, cleaned.mode) == ("png", "PNG", "RGBA")
    assert cleaned.getpixel((10, 10))[3] == 0
    assert cleaned.getpixel((90, 10)) == (0, 128, 0, 255)


def test_clean_photo_keeps_a_palette_png_with_a_transparent_colour_as_png():
    image = Image.new("P", (20, 20), 1)
    image.putpalette([255, 255, 255, 200, 0, 0])
    image.paste(0, (0, 0, 10, 20))

    photo = clean_photo(images.encode(image, "PNG", transparency=0))

    cleaned = opened(photo.content)
    assert cleaned.format == "PNG"
    assert cleaned.getpixel((2, 2))[3] == 0 and cleaned.getpixel((15, 2)) == (200, 0, 0, 255)


def test_clean_photo_scales_a_16_bit_grey_png_to_8_bits():
    photo = clean_photo(images.encode(Image.new("I;16", (50, 40), 0x8000), "PNG"))

    assert opened(photo.content).getpixel((1, 1)) == (128, 128, 128)


def test_clean_photo_makes_an_opaque_png_a_jpeg():
    photo = clean_photo(images.encode(Image.new("RGBA", (2500, 100), "white"), "PNG"))

    assert photo.extension == "jpg"
    assert opened(photo.content).size == (2000, 80)


@pytest.mark.parametrize(
    "data",
    [
        images.multi_picture_jpeg(),
        images.encode(Image.new("RGB", (40, 30), "red"), "WEBP"),
    ],
    ids=["phone's multi-picture jpeg", "webp"],
)
def test_clean_photo_accepts_a_phones_jpeg_and_webp_as_jpeg(data):
    photo = clean_photo(data)

    assert photo.extension == "jpg"
    assert opened(photo.content).size == (40, 30)


def test_clean_upload_reads_no_more_than_the_limit_and_a_byte(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 1000)

    class CountingFile(io.BytesIO):
        largest_read = 0

        def read(self, size: int = -1) -> bytes:
            CountingFile.largest_read = max(CountingFile.largest_read, size)
            return super().read(size)

    # The upload says it is small; only reading tells.
    lying = UploadedFile(CountingFile(b"x" * 100_000), name="a.jpg", size=10)

    with pytest.raises(PhotoError, match="larger than"):
        clean_upload(lying)

    assert CountingFile.largest_read == 1001


def test_clean_upload_refuses_a_declared_size_over_the_limit_before_reading(monkeypatch):
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 1000)
    upload = SimpleUploadedFile("a.jpg", b"x" * 1001, content_type="image/jpeg")

    with pytest.raises(PhotoError, match="larger than"):
        clean_upload(upload)

    assert upload.tell() == 0


def test_clean_upload_cleans_an_uploaded_phone_photo():
    upload = SimpleUploadedFile("IMG_0001.jpg", images.phone_photo(300, 200), "image/jpeg")

    photo = clean_upload(upload)

    assert (photo.width, photo.height) == (200, 300)


def test_save_report_photo_stores_the_cleaned_file_under_a_random_name(report):
    photo = clean_photo(images.phone_photo(300, 200))

    saved = save_report_photo(report, photo, caption="The sheet")

    saved.refresh_from_db()
    with saved.image.open("rb") as handle:
        assert handle.read() == photo.content
    assert saved.image.name.startswith(f"reports/{report.topic.meeting_id}/")
    assert saved.image.name.endswith(".jpg") and "IMG" not in saved.image.name
    assert (saved.caption, saved.position, saved.bundle_path) == ("The sheet", 0, "")


def test_save_report_photo_refuses_a_thirteenth_photo_and_saves_nothing(report, settings):
    photo = clean_photo(images.encode(Image.new("RGB", (40, 30), "red"), "JPEG"))
    for _ in range(12):
        save_report_photo(report, photo)
    before = (row_counts(), media_files(settings))

    with pytest.raises(PhotoError, match="A report has at most 12 photos."):
        save_report_photo(report, photo)

    assert (row_counts(), media_files(settings)) == before
    assert list(report.photos.values_list("position", flat=True)) == list(range(12))
