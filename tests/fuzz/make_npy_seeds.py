#!/usr/bin/env python3
"""make_npy_seeds.py — writes the hand-made .npy seeds of corpus/npy: every
dtype the reader takes, rank 0 and rank 8, an empty dimension, versions 2.0
and 3.0, and the header spellings numpy and older writers produce. Plain
Python (no numpy) so it runs anywhere; the fixture files copied next to
these are what numpy itself writes. Run from any directory."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "npy")


def npy(major, header, data, pad=True):
    """Preamble of the given version, header padded to 64 bytes, then data."""
    pre = 10 if major == 1 else 12
    text = header
    if pad:
        total = pre + len(text) + 1
        text += " " * ((64 - total % 64) % 64)
    text += "\n"
    hlen = struct.pack("<H", len(text)) if major == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([major, 0]) + hlen + text.encode("latin1") + data


def hdr(descr, shape, fortran="False"):
    dims = ", ".join(str(d) for d in shape)
    if len(shape) == 1:
        dims += ","
    return "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (descr, fortran, dims)


SEEDS = {
    "f4_2x3.npy": npy(1, hdr("<f4", [2, 3]), struct.pack("<6f", *range(6))),
    "i8_4.npy": npy(1, hdr("<i8", [4]), struct.pack("<4q", -1, 0, 1, 2**62)),
    "i4_2x2.npy": npy(1, hdr("<i4", [2, 2]), struct.pack("<4i", 1, -2, 3, -4)),
    "f2_3.npy": npy(1, hdr("<f2", [3]), struct.pack("<3e", 1.0, -2.5, 65504.0)),
    "u1_5.npy": npy(1, hdr("|u1", [5]), bytes([0, 1, 127, 128, 255])),
    "i1_2x2x1.npy": npy(1, hdr("|i1", [2, 2, 1]), bytes([0, 1, 0x80, 0xFF])),
    "b1_3.npy": npy(1, hdr("|b1", [3]), bytes([1, 0, 1])),
    "scalar.npy": npy(1, hdr("<f4", []), struct.pack("<f", 3.5)),
    "empty_dim.npy": npy(1, hdr("<f4", [2, 0, 3]), b""),
    "rank8.npy": npy(1, hdr("<f4", [1] * 8), struct.pack("<f", 1.0)),
    "v2.npy": npy(2, hdr("<i4", [2]), struct.pack("<2i", 7, 8)),
    "v3.npy": npy(3, hdr("<f4", [1, 2]), struct.pack("<2f", 0.5, 0.25)),
    # older writers: no trailing comma and space, no padding, L suffixes
    "terse.npy": npy(1, "{'descr':'<f4','fortran_order':False,'shape':(2,)}",
                     struct.pack("<2f", 1, 2), pad=False),
    "long_dims.npy": npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 2L), }",
                         struct.pack("<2f", 1, 2)),
    "fortran.npy": npy(1, hdr("<f4", [2, 2], "True"), struct.pack("<4f", 1, 2, 3, 4)),
    "big_endian.npy": npy(1, hdr(">f4", [1]), struct.pack(">f", 1.0)),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
