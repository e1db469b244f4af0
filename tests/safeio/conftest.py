"""Fixtures of the shared table reader's tests."""
from __future__ import annotations

import pytest

from nnplug.errors import DataError


@pytest.fixture
def error():
    """``error(call, *args, **kwargs)``: the one-line DataError message the call raises."""

    def message_of(call, *args, **kwargs) -> str:
        with pytest.raises(DataError) as info:
            call(*args, **kwargs)
        message = str(info.value)
        assert "\n" not in message and "\x1b" not in message, message
        return message

    return message_of
