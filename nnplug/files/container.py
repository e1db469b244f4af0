"""The ``.npz`` container of model and checkpoint files: arrays + a JSON header, never
pickle; written atomically through the output guard (:mod:`nnplug.safeio.outputs`), read
within checked sizes (:mod:`nnplug.safeio.npy`). Also how a file records the component it
needs (:func:`component_record`) and finds it again (:func:`resolve_component`)."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import numpy as np

from nnplug.errors import NNPlugError
from nnplug.safeio.limits import human, max_bytes, open_regular
from nnplug.safeio.npy import NpyError, read_members
from nnplug.safeio.outputs import atomic_write
from nnplug.safeio.text import is_printable, one_line

# -- model and checkpoint files: one .npz, arrays + a JSON header, never pickle ---------------

#: the npz member holding the JSON header (UTF-8 bytes as a uint8 array)
META_KEY = "__nnplug__"
MODEL_FORMAT = "nnplug-model"
CHECKPOINT_FORMAT = "nnplug-checkpoint"
FORMAT_VERSION = 1
#: how deeply lists and records may nest in a header (nnplug writes at most 5 levels)
MAX_DEPTH = 32


#: a distribution name as PyPI allows it (PEP 508); anything else gets no pip hint
DIST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")


class ModelFileError(NNPlugError):
    """A model or checkpoint file is missing, corrupt or not an nnplug file."""


class MissingPluginError(NNPlugError):
    """A saved model needs a component whose plugin is not installed."""


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def save_arrays(path: str | os.PathLike, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    """Write ``arrays`` plus the JSON header ``meta`` into one ``.npz``, atomically."""
    try:
        header = json.dumps(meta, default=_json_default).encode("utf-8")
    except TypeError as exc:
        raise NNPlugError(f"cannot save {path}: {exc}") from None
    payload: dict[str, Any] = {META_KEY: np.frombuffer(header, dtype=np.uint8)}
    payload.update({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **payload)


def header_cap() -> int:
    """The most bytes a JSON header may declare: 1/32 of the limit (its Python objects can
    take several times its size), at least 1 MiB."""
    return max(1 << 20, max_bytes() // 32)


def parse_cost(text: bytes) -> int:
    """An upper bound of the memory ``json.loads`` takes for ``text``, counted in its raw
    bytes before parsing (in C: a 57 MiB header of 20 million ``[]`` would take 1.5 GB
    once parsed): the bytes and the decoded text, 72 bytes per list or record (brackets,
    also those inside strings: an overestimate) and 64 per item or key."""
    containers = text.count(b"[") + text.count(b"{")
    return 2 * len(text) + 72 * containers + 64 * (text.count(b",") + text.count(b":"))


def nesting(obj: Any, deepest: int = MAX_DEPTH) -> int:
    """How deeply lists and records nest in a parsed header (walked without recursion;
    stops counting past ``deepest``)."""
    stack, depth = [(obj, 1)], 0
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth = max(depth, level)
        if depth > deepest:
            break
        stack.extend((child, level + 1) for child in children)
    return depth


def _parse_header(raw: np.ndarray) -> Any:
    text = raw.tobytes()
    budget = max_bytes() // 16
    if parse_cost(text) > budget:
        raise ValueError(
            f"its JSON header of {human(len(text))} holds so many lists, records and items "
            f"that reading it would take about {human(parse_cost(text))}, more than "
            f"{human(budget)} (a sixteenth of the NNPLUG_MAX_BYTES limit)"
        )
    try:
        meta = json.loads(text.decode("utf-8"))
    except RecursionError:
        raise ValueError("the header is nested too deeply") from None
    except UnicodeDecodeError:
        raise ValueError("the header is not UTF-8 text") from None
    if nesting(meta) > MAX_DEPTH:
        raise ValueError(f"the header is nested too deeply (more than {MAX_DEPTH} levels)")
    return meta


def read_arrays(path: str | os.PathLike, fmt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read ``(meta, arrays)`` from a file written by :func:`save_arrays` whose header
    says ``format == fmt``. Sizes are checked before reading (:mod:`nnplug.safeio.npy`),
    object arrays and non-finite floating-point values are refused."""
    what = "model" if fmt == MODEL_FORMAT else "checkpoint"
    with open_regular(path, f"{what} file", ModelFileError) as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise ModelFileError(f"{path} is not an nnplug {what} file (not an .npz archive)")
        fh.seek(0)
        try:
            members, arrays = read_members(fh, f"{what} file {path}", caps={META_KEY: header_cap()})
            if META_KEY not in members:
                raise ModelFileError(f"{path} is not an nnplug {what} file (no nnplug header)")
            meta = _parse_header(arrays.pop(META_KEY))
        except (NpyError, ValueError) as exc:
            raise ModelFileError(
                f"{path} is not a readable nnplug {what} file ({one_line(exc, 200)})"
            ) from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        found = meta.get("format") if isinstance(meta, dict) else None
        hint = f" (it is a {found} file)" if is_printable(found, 40) else ""
        raise ModelFileError(f"{path} is not an nnplug {what} file{hint}")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(
            f"{path} has a damaged header (format_version {one_line(repr(version), 40)})"
        )
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was written by a newer nnplug (format version "
            f"{version}); upgrade nnplug to read it"
        )
    for key, array in arrays.items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ModelFileError(
                f"{path} holds non-finite values (NaN or inf) in "
                f"'{one_line(key, 60)}'; refusing a damaged {what}"
            )
    return meta, arrays


def component_record(kind: str, obj: Any, registry: Any) -> dict[str, Any]:
    """Name, options and providing plugin of a live component, for a model header."""
    comp = registry.get(kind, getattr(obj, "spec_name", None) or type(obj).name)
    return {
        "name": comp.name,
        "options": obj.options(),
        "plugin": comp.plugin,
        "dist": comp.dist,
        "version": comp.version,
    }


def resolve_component(kind: str, record: dict[str, Any], registry: Any, source: Any) -> Any:
    """The installed component for a saved ``record``; a one-line error naming the
    missing plugin (or the reason it failed to load) when it is not available."""
    from nnplug.errors import PluginConflictError, UnknownComponentError

    name, plugin = record.get("name"), record.get("plugin")
    for candidate in (f"{plugin}/{name}", name):
        try:
            return registry.get(kind, candidate)
        except (UnknownComponentError, PluginConflictError):
            continue
    dist, version = record.get("dist") or plugin, record.get("version") or ""
    failed = [f for f in registry.failures if f.plugin == plugin or f.dist == dist]
    # names read from a file are printed as one short line; a pip hint only for a
    # well-formed distribution name
    p_plugin, p_dist = one_line(plugin, 60), one_line(dist, 60)
    p_name, p_version = one_line(name, 60), one_line(version, 30)
    if failed:
        why = f"plugin '{p_plugin}' failed to load ({one_line(failed[0].reason, 200)})"
    elif plugin in getattr(registry, "disabled", ()):
        why = f"plugin '{p_plugin}' is disabled by NNPLUG_DISABLE_PLUGINS"
    else:
        why = (
            f"plugin '{p_plugin}' (distribution {p_dist} {p_version}".rstrip()
            + ") is not installed"
        )
        if isinstance(dist, str) and DIST_NAME.fullmatch(dist):
            why += f"; install it with: pip install {dist}"
    raise MissingPluginError(f"{source} needs {kind} '{p_name}': {why}")
