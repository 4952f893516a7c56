"""The msgpack wire codec: the only place frames are turned into bytes and back.

Decoding is strict and bounded: string keys only, no extension types, no
bytes payloads, container sizes capped by the frame limit. Any failure raises
:class:`FrameDecodeError`, which the edge turns into a ``bad_frame`` error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack

from valueroom.protocol.schema import limit

__all__ = [
    "MAX_BATCH",
    "FrameDecodeError",
    "decode",
    "decode_trusted",
    "encode",
    "encode_batch",
    "encode_with_raw_list",
]

_MAX = limit("max_frame_bytes")
MAX_BATCH = limit("max_batch_frames")


class FrameDecodeError(ValueError):
    """The bytes are not one well-formed msgpack value of the allowed kinds."""


def _refuse_ext(code: int, data: bytes) -> Any:
    raise FrameDecodeError(f"extension type {code} is not allowed")


_packer_options: dict[str, Any] = {"use_bin_type": True, "datetime": False}


def encode(frame: Any) -> bytes:
    """Encode one frame. Frames are plain dicts, lists, str, int, bool and None."""
    data: bytes = msgpack.packb(frame, **_packer_options)
    return data


def encode_batch(frames: Sequence[bytes]) -> bytes:
    """Several already-encoded frames as one msgpack array, without re-encoding them.

    A msgpack array is its length header followed by its elements, so the
    bytes each frame was encoded into once are reused as they are.
    """
    count = len(frames)
    if not 0 < count <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} frames, not {count}")
    header = bytes([0x90 | count]) if count < 16 else b"\xdc" + count.to_bytes(2, "big")
    return header + b"".join(frames)


def _array_header(count: int) -> bytes:
    if count < 16:
        return bytes([0x90 | count])
    if count < 1 << 16:
        return b"\xdc" + count.to_bytes(2, "big")
    return b"\xdd" + count.to_bytes(4, "big")


def encode_with_raw_list(frame: dict[str, Any], key: str, items: Sequence[bytes]) -> bytes:
    """``frame`` plus ``key``: an array of already-encoded values, which are not re-encoded."""
    count = len(frame) + 1
    if count >= 16:
        raise ValueError("a frame with a raw list has at most 15 keys")
    parts = [bytes([0x80 | count])]
    for name, value in frame.items():
        parts.append(encode(name))
        parts.append(encode(value))
    parts.append(encode(key))
    parts.append(_array_header(len(items)))
    parts.extend(items)
    return b"".join(parts)


def decode(data: bytes) -> Any:
    """Decode one client frame; raise FrameDecodeError on anything malformed."""
    if len(data) > _MAX:
        raise FrameDecodeError(f"frame is larger than {_MAX} bytes")
    try:
        return msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            ext_hook=_refuse_ext,
            max_bin_len=0,
            max_str_len=_MAX,
            max_array_len=_MAX,
            max_map_len=_MAX,
            max_ext_len=0,
        )
    except FrameDecodeError:
        raise
    except (
        ValueError,
        TypeError,
        msgpack.ExtraData,
        msgpack.FormatError,
        msgpack.StackError,
    ) as exc:
        raise FrameDecodeError(f"not a valid msgpack frame ({type(exc).__name__})") from exc


def decode_trusted(data: bytes) -> Any:
    """Decode bytes this server wrote itself (the stored log): no size caps."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)
