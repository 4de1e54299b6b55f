"""The meeting interchange format, versions 1 and 2 (`docs/meeting-format.md`).

`read_bundle` opens a `.json` file or a zip bundle safely (`bundle`),
`validate_document` checks every rule of the format and names the offending path
(`validate`, with the keys and limits in `schema`), `import_document` saves a checked
document whole or not at all (`importing`), and `export_document` / `write_bundle`
give a meeting back as a version 2 document (`exporting`).
"""

from __future__ import annotations

from .bundle import Bundle, FormatError, read_bundle
from .exporting import export_document, write_bundle
from .importing import import_document, import_path
from .schema import FORMAT, MEETING_KEYS, TOP_KEYS, VERSION, VERSIONS
from .validate import validate_document

__all__ = [
    "FORMAT",
    "MEETING_KEYS",
    "TOP_KEYS",
    "VERSION",
    "VERSIONS",
    "Bundle",
    "FormatError",
    "export_document",
    "import_document",
    "import_path",
    "read_bundle",
    "validate_document",
    "write_bundle",
]
