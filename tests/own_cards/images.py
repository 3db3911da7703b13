"""Real image files for the tests: a PNG of any size and colour, built with zlib as the format says."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 2, height: int = 2, colour: tuple[int, int, int] = (200, 30, 30), padding: int = 0) -> bytes:
    """A valid RGB PNG; `padding` bytes of a text chunk make it as large as a test needs."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    text = chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + text
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
