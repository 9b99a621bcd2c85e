"""The wire format between the trusted parent and the sandboxed worker.

A frame is a 4-byte big-endian header length, a UTF-8 JSON header, then the raw bytes of every
array the header lists, back to back. There is no pickle anywhere: the receiver rebuilds plain
``np.ndarray`` objects from bytes, so subclasses, ``__array__`` tricks and object dtypes never
cross. Values inside the header are tagged so nothing is ambiguous::

    {"t": "array", "i": 0}            the 0th array of the frame
    {"t": "number", "v": 1.5}         a real number (NaN and inf allowed)
    {"t": "none"}
    {"t": "str", "v": "..."}
    {"t": "list", "items": [...]}     a list or tuple
    {"t": "dict", "items": [[k, v], ...]}
    {"t": "handle", "id": 3}          an object kept in the worker (a student's cache)
    {"t": "other", "type": "Foo"}     something that cannot cross; only its type name does

This module is imported by BOTH sides and by the worker before any student code runs, so it uses
only the standard library and numpy. Everything the parent reads goes through ``decode_*`` with
caps; any malformed frame raises ``ProtocolError``.
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time

import numpy as np

MAX_HEADER_BYTES = 1 << 20
MAX_FRAME_ARRAY_BYTES = 512 << 20
MAX_ARRAYS = 4096
MAX_NDIM = 8
MAX_DEPTH = 16
MAX_HEADER_NESTING = 64  # JSON nesting of a whole header (values are capped at MAX_DEPTH)
ALLOWED_DTYPES = frozenset(
    ["<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1", "<c16", "<c8"]
)


class ProtocolError(Exception):
    """A frame that breaks the rules: always the sender's fault, never trusted further."""


class Deadline(Exception):
    """The peer did not deliver (or accept) a whole frame in time."""


class PeerClosed(Exception):
    """The peer's end of the pipe is closed (the worker exited or crashed)."""


class Handle:
    """Parent-side stand-in for an object that stays inside the worker."""

    __slots__ = ("id", "generation")

    def __init__(self, id: int, generation: int = 0):
        self.id = id
        self.generation = generation  # which worker incarnation holds it (set by the parent)

    def __repr__(self) -> str:
        return f"Handle({self.id})"


class Opaque:
    """Parent-side stand-in for a value that could not cross (only its type name did)."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


# ---------------------------------------------------------------- encoding


def encode_value(value, arrays: list, keep=None, depth: int = 0):
    """Tag ``value`` for the header, appending arrays to ``arrays``.

    ``keep`` is called for objects that should stay on this side (it returns a handle id);
    without it they cross as ``other``.
    """
    if depth > MAX_DEPTH:
        return {"t": "other", "type": "nested too deeply"}
    if isinstance(value, Handle):
        return {"t": "handle", "id": value.id}
    if value is None:
        return {"t": "none"}
    if isinstance(value, np.ndarray) and value.dtype.str in ALLOWED_DTYPES and value.ndim <= MAX_NDIM:
        arrays.append(np.ascontiguousarray(value))
        return {"t": "array", "i": len(arrays) - 1}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "number", "v": float(bool(value))}
    if isinstance(value, (int, np.integer)):
        return {"t": "number", "v": int(value)}  # ints stay ints (e.g. a window length)
    if isinstance(value, (float, np.floating)):
        return {"t": "number", "v": float(value)}
    if isinstance(value, str):
        return {"t": "str", "v": value[:1000]}
    if isinstance(value, (list, tuple)) and len(value) <= 64:
        return {"t": "list", "items": [encode_value(v, arrays, keep, depth + 1) for v in value]}
    if isinstance(value, dict) and len(value) <= 256 and all(isinstance(k, str) for k in value):
        return {
            "t": "dict",
            "items": [[k[:200], encode_value(v, arrays, keep, depth + 1)] for k, v in value.items()],
        }
    if keep is not None:
        return {"t": "handle", "id": keep(value)}
    return {"t": "other", "type": type(value).__name__[:100]}


def encode_frame(header: dict, arrays: list) -> bytes:
    meta = []
    for a in arrays:
        meta.append({"dtype": a.dtype.str, "shape": list(a.shape)})
    header = dict(header, arrays=meta)
    head = json.dumps(header, allow_nan=True).encode("utf-8")
    parts = [struct.pack(">I", len(head)), head]
    parts.extend(a.tobytes() for a in arrays)
    return b"".join(parts)


# ---------------------------------------------------------------- decoding


def decode_header(head: bytes) -> dict:
    try:
        header = json.loads(head.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProtocolError(f"header is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    # json.loads accepts nesting up to the recursion limit; anything that later walks such a header
    # recursively (str(), repr(), a renderer) would raise RecursionError in the trusted parent, far
    # from here. Found by the adversarial corpus: reject deep headers now, as a protocol error.
    if head.count(b"[") + head.count(b"{") <= MAX_HEADER_NESTING:
        return header  # nesting cannot exceed the number of opening brackets (most frames: walk skipped)
    stack = [(header, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_HEADER_NESTING:
            raise ProtocolError(f"header nested deeper than {MAX_HEADER_NESTING} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return header


def array_layout(header: dict) -> list[tuple[np.dtype, tuple[int, ...], int]]:
    """Validate the header's array list against the caps; return (dtype, shape, nbytes) each."""
    meta = header.get("arrays", [])
    if not isinstance(meta, list) or len(meta) > MAX_ARRAYS:
        raise ProtocolError("bad array list")
    layout, total = [], 0
    for m in meta:
        if not isinstance(m, dict):
            raise ProtocolError("bad array entry")
        dtype, shape = m.get("dtype"), m.get("shape")
        if dtype not in ALLOWED_DTYPES:
            raise ProtocolError(f"array dtype {str(dtype)[:20]!r} is not allowed")
        if not isinstance(shape, list) or len(shape) > MAX_NDIM:
            raise ProtocolError("bad array shape")
        if not all(type(s) is int and 0 <= s < (1 << 40) for s in shape):
            raise ProtocolError("bad array shape")
        dt = np.dtype(dtype)
        # exact integer maths: np.prod in int64 wraps around (2**32 * 2**32 -> 0 bytes), and a shape
        # whose byte count wrapped to a small number then failed in reshape() with a ValueError
        # that escaped the parent (found by the adversarial corpus)
        nbytes = dt.itemsize * math.prod(shape)
        total += nbytes
        if nbytes < 0 or total > MAX_FRAME_ARRAY_BYTES:
            raise ProtocolError("frame arrays exceed the size cap")
        layout.append((dt, tuple(shape), nbytes))
    return layout


def decode_value(tagged, arrays: list, depth: int = 0):
    """Turn a tagged header value back into plain Python / numpy objects."""
    if depth > MAX_DEPTH + 2:
        raise ProtocolError("value nested too deeply")
    if not isinstance(tagged, dict):
        raise ProtocolError("untagged value")
    t = tagged.get("t")
    if t == "array":
        i = tagged.get("i")
        if type(i) is not int or not 0 <= i < len(arrays):
            raise ProtocolError("array index out of range")
        return arrays[i]
    if t == "number":
        v = tagged.get("v")
        if type(v) not in (int, float):
            raise ProtocolError("bad number")
        return v
    if t == "none":
        return None
    if t == "str":
        v = tagged.get("v")
        if not isinstance(v, str):
            raise ProtocolError("bad string")
        return v
    if t == "list":
        items = tagged.get("items")
        if not isinstance(items, list):
            raise ProtocolError("bad list")
        return [decode_value(v, arrays, depth + 1) for v in items]
    if t == "dict":
        items = tagged.get("items")
        if not isinstance(items, list):
            raise ProtocolError("bad dict")
        out = {}
        for item in items:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise ProtocolError("bad dict item")
            out[item[0]] = decode_value(item[1], arrays, depth + 1)
        return out
    if t == "handle":
        hid = tagged.get("id")
        if type(hid) is not int:
            raise ProtocolError("bad handle")
        return Handle(hid)
    if t == "other":
        return Opaque(str(tagged.get("type", "?"))[:100])
    raise ProtocolError(f"unknown value tag {str(t)[:20]!r}")


# ---------------------------------------------------------------- pipes with deadlines


def _wait(fd: int, write: bool, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise Deadline()
    ready = select.select([], [fd], [], left)[1] if write else select.select([fd], [], [], left)[0]
    if not ready:
        raise Deadline()


def _read_exact(fd: int, n: int, deadline: float | None) -> bytearray:
    # read straight into one preallocated buffer: joining chunks (and copying the array again)
    # cost three times a frame's size in the parent, which a worker sending maximum-size arrays
    # to every bulk slot at once could turn into memory pressure on the grader
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    waits = deadline is not None and os.get_blocking(fd)  # a blocking descriptor: wait before reading
    while got < n:
        # read first, wait only when nothing is there (the parent's descriptors are non-blocking): a
        # reply's header and arrays usually arrive together, and a select per piece cost ~10 % of a call
        if waits:
            _wait(fd, False, deadline)
        try:
            k = os.readv(fd, [view[got:got + (1 << 20)]])
        except BlockingIOError:
            if deadline is None:
                select.select([fd], [], [])
            else:
                _wait(fd, False, deadline)
            continue
        if not k:
            raise PeerClosed()
        got += k
    return buf


def read_frame(fd: int, deadline: float | None = None) -> tuple[dict, list[np.ndarray]]:
    """Read one frame; arrays come back as fresh, writable, base-class ndarrays."""
    (n,) = struct.unpack(">I", _read_exact(fd, 4, deadline))
    if n > MAX_HEADER_BYTES:
        raise ProtocolError(f"header of {n} bytes exceeds the cap")
    header = decode_header(bytes(_read_exact(fd, n, deadline)))
    arrays = []
    for dt, shape, nbytes in array_layout(header):
        raw = _read_exact(fd, nbytes, deadline)  # a fresh bytearray: the array owns writable memory
        arrays.append(np.frombuffer(raw, dtype=dt).reshape(shape))
    return header, arrays


def write_all(fd: int, data: bytes, deadline: float | None = None) -> None:
    view = memoryview(data)
    waits = deadline is not None and os.get_blocking(fd)  # a blocking descriptor: wait before writing
    while view:
        if waits:
            _wait(fd, True, deadline)
        try:
            sent = os.write(fd, view[: 1 << 20])
        except BlockingIOError:  # the pipe is full: wait until there is room, within the deadline
            if deadline is None:
                select.select([], [fd], [])
            else:
                _wait(fd, True, deadline)
            continue
        except BrokenPipeError:
            raise PeerClosed() from None
        view = view[sent:]
