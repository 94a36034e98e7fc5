#!/usr/bin/env python3
"""Packs PNG images into one Windows .ico (PNG-compressed entries, which
Windows reads since Vista): ico.py OUT.ico IMAGE.png... Each PNG's size is
read from its header; 256 px is written as 0, as the format says."""
import struct
import sys


def main(out, pngs):
    images = []
    for path in pngs:
        data = open(path, "rb").read()
        if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
            sys.exit(f"ico.py: {path} is not a PNG")
        width, height = struct.unpack(">II", data[16:24])
        if width > 256 or height > 256:
            sys.exit(f"ico.py: {path} is {width}x{height}; an icon is at most 256x256")
        images.append((width % 256, height % 256, data))
    offset = 6 + 16 * len(images)
    header = struct.pack("<HHH", 0, 1, len(images))
    entries = b""
    for width, height, data in images:
        entries += struct.pack("<BBBBHHII", width, height, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    with open(out, "wb") as f:
        f.write(header + entries + b"".join(d for _, _, d in images))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
