"""Reading a bundle: a bare `.json` document, or a zip of `meeting.json` and its photos."""

from __future__ import annotations

import json
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..photos import MAX_PHOTO_BYTES

BUNDLE_DOCUMENT = "meeting.json"
PHOTO_DIR = "photos/"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_BUNDLE_BYTES = 500 * 1024 * 1024
MAX_BUNDLE_ENTRIES = 2000


class FormatError(Exception):
    """A document or bundle that breaks the format; the message names the path."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


@dataclass
class Bundle:
    """A meeting document with the photo files that travelled beside it."""

    document: Any
    files: dict[str, bytes] = field(default_factory=dict)


def _megabytes(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB"


def _safe_member_name(name: str) -> str:
    normalised = posixpath.normpath(name)
    if (
        name.startswith(("/", "\\"))
        or "\\" in name
        or re.match(r"^[A-Za-z]:", name)
        or normalised.startswith("..")
        or "/../" in f"/{name}/"
    ):
        raise FormatError("bundle", f"unsafe path {name!r}: paths must stay inside the bundle")
    return normalised


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    # Read at most one byte past the limit: a zip's declared sizes may lie.
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FormatError(info.filename, f"larger than {_megabytes(limit)}")
    return data


def _parse_json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FormatError(where, "not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise FormatError(where, f"not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    except ValueError as exc:
        # Python refuses to read an integer of more than 4,300 digits.
        raise FormatError(where, f"not a readable JSON document ({exc})") from exc
    except RecursionError as exc:
        raise FormatError(where, "nested too deeply to read") from exc


def read_bundle(path: str | Path) -> Bundle:
    """Open a `.json` document or a zip bundle, refusing anything unsafe."""
    path = Path(path)
    if not path.is_file():
        raise FormatError("", f"{path} is not a file")
    if zipfile.is_zipfile(path):
        return _read_zip(path)
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise FormatError(path.name, f"larger than {_megabytes(MAX_DOCUMENT_BYTES)}")
    return Bundle(document=_parse_json(path.read_bytes(), path.name))


def _read_zip(path: Path) -> Bundle:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FormatError("bundle", f"not a readable zip file ({exc})") from exc
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_BUNDLE_ENTRIES:
            raise FormatError("bundle", f"more than {MAX_BUNDLE_ENTRIES} files")
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            name = _safe_member_name(info.filename)
            limit = MAX_DOCUMENT_BYTES if name == BUNDLE_DOCUMENT else MAX_PHOTO_BYTES
            data = _read_member(archive, info, limit)
            total += len(data)
            if total > MAX_BUNDLE_BYTES:
                raise FormatError("bundle", f"larger than {_megabytes(MAX_BUNDLE_BYTES)} unpacked")
            files[name] = data
    if BUNDLE_DOCUMENT not in files:
        raise FormatError("bundle", f"no {BUNDLE_DOCUMENT} at the bundle's root")
    document = _parse_json(files.pop(BUNDLE_DOCUMENT), BUNDLE_DOCUMENT)
    return Bundle(document=document, files=files)
