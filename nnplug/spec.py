"""Parse layer specs: ``"linear:512,batchnorm,relu,dropout:p=0.2"``.

Grammar: tokens separated by ``,``; each token is ``NAME`` followed by optional
``:OPTION`` parts. An option is ``key=value`` or, first only, a bare value that
sets the component's ``positional`` option (``linear:512`` -> ``units=512``).
``NAME`` may be qualified as ``PLUGIN/NAME`` to pick between clashing plugins.
Values are read as int, float, ``true``/``false``/``none`` or a plain word --
never evaluated as code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nnplug.errors import SpecError

_NAME = re.compile(r"^[A-Za-z_][\w\-]*(/[A-Za-z_][\w\-]*)?$")
_KEY = re.compile(r"^[A-Za-z_]\w*$")
_WORD = re.compile(r"^[\w.\-]+$")


@dataclass
class ComponentSpec:
    """One parsed token: a component name with its options."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    positional: Any = None
    token: str = ""
    index: int = 0

    def __str__(self) -> str:
        return self.token or self.name


def parse_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if _WORD.match(text):
        return text
    raise ValueError(f"bad value {text!r}")


def parse_token(token: str, index: int = 0) -> ComponentSpec:
    token = token.strip()
    where = f"token {index + 1} '{token}'"
    if not token:
        raise SpecError(f"bad spec: empty {where} (doubled or trailing comma?)")
    name, *parts = token.split(":")
    if not _NAME.match(name):
        raise SpecError(f"bad spec at {where}: '{name}' is not a component name")
    spec = ComponentSpec(name=name, token=token, index=index)
    for i, part in enumerate(parts):
        try:
            if "=" in part:
                key, _, raw = part.partition("=")
                if not _KEY.match(key):
                    raise ValueError(f"bad option name {key!r}")
                if key in spec.options:
                    raise ValueError(f"option {key!r} given twice")
                spec.options[key] = parse_value(raw)
            elif i == 0 and part:
                spec.positional = parse_value(part)
            else:
                raise ValueError(f"expected key=value, got {part!r}")
        except ValueError as exc:
            raise SpecError(f"bad spec at {where}: {exc}") from None
    return spec


def parse_spec(text: str) -> list[ComponentSpec]:
    """Split a comma-separated spec into :class:`ComponentSpec` items."""
    if text is None or not text.strip():
        return []
    return [parse_token(tok, i) for i, tok in enumerate(text.split(","))]


__all__ = [
    "ComponentSpec",
    "parse_spec",
    "parse_token",
    "parse_value",
]
