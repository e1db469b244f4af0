"""What ``nnplug plugins`` and ``nnplug datasets`` print of a component's docstring: its
first sentence without reStructuredText markup (the whole first paragraph stays in
``--json``). The text is :func:`~nnplug.safeio.text.one_line`'d by the registry first."""

from __future__ import annotations

import re

#: reStructuredText inline markup -> its text: ``code``, :role:`text <target>`,
#: `link <url>`_, **strong**, *emphasis* (a lone ``*`` in a formula stays)
_MARKUP = [
    (re.compile(r"``(.+?)``"), r"\1"),
    (re.compile(r":[\w.:+-]+:`([^`<]*?)\s*(?:<[^`>]*>)?`"), r"\1"),
    (re.compile(r"`([^`<]+?)\s*(?:<[^`>]*>)?`_{0,2}"), r"\1"),
    (re.compile(r"\*\*(\S(?:.*?\S)?)\*\*"), r"\1"),
    (re.compile(r"(?<![\w*])\*(\w(?:[^*]*?\w)?)\*(?![\w*])"), r"\1"),
]
#: the end of a sentence: . ! or ? then a space and a capital (not "e.g. x", "al.),")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


def plain(text: str) -> str:
    """``text`` without reStructuredText inline markup."""
    for pattern, repl in _MARKUP:
        text = pattern.sub(repl, text)
    return text


def first_sentence(text: str) -> str:
    """The first sentence of ``text``, markup stripped."""
    return _SENTENCE_END.split(plain(text).strip(), maxsplit=1)[0]
