"""Hypothesis strategies of the fuzz suite: hostile header values, mutated bytes, npy
members whose headers lie, CSV cells that are almost numbers."""
from __future__ import annotations

import copy
import struct

from hypothesis import strategies as st

from hostile import npy_header

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70)
    | st.sampled_from([0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 63, 10 ** 9, 30000])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12) | st.sampled_from(["x", "float16", "\n", "relu", "linear", "core"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=8)


def paths(obj, path=()):
    yield path
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) \
        if isinstance(obj, list) else ()
    for key, value in items:
        yield from paths(value, (*path, key))


@st.composite
def mutated_header(draw, meta):
    meta = copy.deepcopy(meta)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(list(paths(meta))[1:]))
        node = meta
        for key in where[:-1]:
            node = node[key]
        if isinstance(node, dict) and draw(st.booleans()) and draw(st.booleans()):
            del node[where[-1]]
        else:
            node[where[-1]] = draw(junk)
    return meta


@st.composite
def mutated_bytes(draw, data: bytes):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "lie"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[at:]
        elif len(data) >= at + 4:  # a 32-bit size field somewhere says something huge
            data[at:at + 4] = struct.pack("<I", draw(st.sampled_from(
                [0xFFFFFFFF, 0x7FFFFFFF, 1 << 30, 0])))
    return bytes(data)


@st.composite
def lying_array(draw):
    """An npy member whose header may lie about its shape or dtype."""
    shape = tuple(draw(st.lists(st.sampled_from([0, 1, 3, 8, 64, 2 ** 31, 10 ** 12, -1]),
                                min_size=0, max_size=3)))
    descr = draw(st.sampled_from(["<f4", "<f8", "|u1", "<i8", "|O", "<U5", "|V8", ">f4",
                                  "<M8[s]", "|b1", "<c8"]))
    return npy_header(shape, descr) + draw(st.binary(max_size=256))



cell = st.one_of(
    st.integers(-10 ** 25, 10 ** 25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "NA", "?", "١٢", "１２", "1_000", "1e999", "-0", "0x10", " 7 ",
                     '"3"', "nan", "inf", "1e20", "2e20", "a,b", "\n", "\x00"]),
    st.text(max_size=8))
