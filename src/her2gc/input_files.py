"""Opening input files: plain or gzip (told by the magic bytes, not the name), decompressed
as a stream with a size cap, decoded as UTF-8 (a byte-order mark allowed). Every reader
goes through here, so all refuse bad files alike: one line naming the file and, for
encoding errors, the byte offset.

``HER2GC_MAX_INPUT_BYTES`` sets the cap on a file's (decompressed) size; the default is
2 GiB. A gzip bomb is refused when its output passes the cap, before it fills memory.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from her2gc.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
DEFAULT_MAX_INPUT_BYTES = 2 * 1024**3
_CHUNK = 1 << 20


def max_input_bytes() -> int:
    """The cap on one input file's size after decompression (``HER2GC_MAX_INPUT_BYTES``)."""
    text = os.environ.get("HER2GC_MAX_INPUT_BYTES", "").strip()
    if not text:
        return DEFAULT_MAX_INPUT_BYTES
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"HER2GC_MAX_INPUT_BYTES: '{text[:40]}' is not a number of bytes") from None
    if value <= 0:
        raise InputError("HER2GC_MAX_INPUT_BYTES: must be positive")
    return value


def _gunzip(path: Path, raw: bytes, cap: int) -> bytes:
    """Decompress every gzip member of ``raw``, refusing output past ``cap`` bytes."""
    out = bytearray()
    data = raw
    while data:
        decoder = zlib.decompressobj(wbits=31)
        pending = data
        while not decoder.eof:
            try:
                chunk = decoder.decompress(pending, _CHUNK)
            except zlib.error as exc:
                lines = out.count(b"\n")
                raise InputError(f"{path.name}: not a valid gzip file (corrupt after {lines} line(s): {exc})") from None
            out += chunk
            if len(out) > cap:
                raise InputError(
                    f"{path.name}: decompresses to more than {cap:,} bytes (the HER2GC_MAX_INPUT_BYTES cap); refused"
                )
            pending = decoder.unconsumed_tail
            if not pending and not chunk:
                break
        if not decoder.eof:
            lines = out.count(b"\n")
            raise InputError(f"{path.name}: not a valid gzip file (truncated after {lines} line(s))")
        data = decoder.unused_data.lstrip(b"\x00")
        if data and not data.startswith(GZIP_MAGIC):
            raise InputError(f"{path.name}: not a valid gzip file (trailing garbage after the compressed data)")
    return bytes(out)


def read_bytes(path: Path, *, empty_ok: bool = False) -> bytes:
    """The (decompressed) bytes of a plain or gzip file, without a UTF-8 byte-order mark."""
    cap = max_input_bytes()
    try:
        size = path.stat().st_size
        if size > cap:
            raise InputError(f"{path}: {size:,} bytes, over the {cap:,}-byte cap (HER2GC_MAX_INPUT_BYTES)")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = _gunzip(path, raw, cap)
        except MemoryError:
            raise InputError(f"{path.name}: decompresses to more than this machine's memory holds; refused") from None
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    if not empty_ok and not raw.strip():
        raise InputError(f"{path}: the file is empty")
    return raw


def decode(path: Path, raw: bytes) -> str:
    """UTF-8 text; InputError naming the byte offset of the first undecodable byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path.name}: not UTF-8 text (byte {exc.start}, line {line}: {raw[exc.start : exc.start + 1]!r})"
        ) from None


def read_text(path: Path) -> str:
    """The UTF-8 text of a plain or gzip-compressed file."""
    return decode(path, read_bytes(path))
