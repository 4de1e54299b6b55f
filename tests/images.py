"""Test images made with Pillow: a phone's photo with its metadata, and files to refuse."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, ImageCms

SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'
)


def encode(image: Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def phone_photo(width: int = 3000, height: int = 1500) -> bytes:
    """A JPEG as a phone held upright stores it: sideways, with orientation 6 and GPS.

    Stored, its left half is red and its right half blue; shown upright (turned a
    quarter clockwise) red is on top and blue below.
    """
    image = Image.new("RGB", (width, height), "blue")
    image.paste("red", (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "TestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (63.0, 49.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (20.0, 15.0, 45.0)
    return encode(
        image,
        "JPEG",
        exif=exif,
        icc_profile=SRGB_PROFILE,
        xmp=XMP,
        comment=b"<script>alert(1)</script>",
    )


def multi_picture_jpeg() -> bytes:
    """A JPEG with a second picture in it (MPO), as many phone cameras write."""
    frames = [Image.new("RGB", (40, 30), color) for color in ("red", "blue")]
    return encode(frames[0], "MPO", save_all=True, append_images=frames[1:])


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` × `height` pixels in a few bytes: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def gif() -> bytes:
    return encode(Image.new("P", (10, 10)), "GIF")


def noise(kind: str) -> bytes:
    """A photo-like image that does not compress to almost nothing."""
    return encode(Image.effect_noise((400, 300), 40).convert("RGB"), kind)


def truncated(kind: str) -> bytes:
    whole = noise(kind)
    return whole[: len(whole) * 2 // 3]


def truncated_jpeg_with_a_whole_thumbnail() -> bytes:
    """A JPEG cut short, carrying a whole small JPEG, end marker and all, before its scan."""
    thumbnail = encode(Image.new("RGB", (8, 8), "red"), "JPEG")
    comment = b"\xff\xfe" + (len(thumbnail) + 2).to_bytes(2, "big") + thumbnail
    cut = truncated("JPEG")
    return cut[:2] + comment + cut[2:]


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
# A file that is a GIF to an image reader and a script to a browser.
GIF_SCRIPT_POLYGLOT = b"GIF89a/*\x0a\x00\x0a\x00\x00\x00\x00;*/=1;alert(document.domain);//"


# What the pipeline refuses, and the message it gives (the tests run in English).
NOT_A_PHOTO = "This is not a photo: send a JPEG, PNG or WebP image."
DAMAGED = "The photo is damaged or incomplete."
TOO_MANY_PIXELS = "The photo has more than 50 million pixels."

BAD_PHOTOS = [
    ("not an image", lambda: b"#!/bin/sh\necho not a photo\n", NOT_A_PHOTO),
    ("svg", lambda: SVG, NOT_A_PHOTO),
    ("gif", gif, NOT_A_PHOTO),
    ("gif and script", lambda: GIF_SCRIPT_POLYGLOT, NOT_A_PHOTO),
    (
        "gif with a script after it",
        lambda: gif() + b"<script>alert(1)</script>",
        NOT_A_PHOTO,
    ),
    ("truncated jpeg", lambda: truncated("JPEG"), DAMAGED),
    ("truncated jpeg with a thumbnail", truncated_jpeg_with_a_whole_thumbnail, DAMAGED),
    ("truncated png", lambda: truncated("PNG"), DAMAGED),
    ("truncated webp", lambda: truncated("WEBP"), DAMAGED),
    (
        "56 megapixels",
        lambda: encode(Image.new("1", (8000, 7000)), "PNG"),
        TOO_MANY_PIXELS,
    ),
    ("Pillow's bomb warning", lambda: png_header_only(10_000, 10_000), TOO_MANY_PIXELS),
    ("Pillow's bomb error", lambda: png_header_only(20_000, 20_000), TOO_MANY_PIXELS),
    (
        "over 20 MB",
        lambda: encode(Image.new("RGB", (10, 10)), "JPEG") + bytes(20 * 1024 * 1024),
        "The photo is larger than 20 MB.",
    ),
]
