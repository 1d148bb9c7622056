"""The project's one error base, below every package: a user's mistake ends in one line, never a traceback.

`search_spaces` (a spec), `trainables` (a config, a dataset) and `sweep` (storage, tracking) each raise their own
subclass; the CLI catches this base and exits 2 (or the error's own `exit_code`). `show` renders the value the
user gave inside such a message.
"""

from __future__ import annotations

import math
from typing import Any


class SweepError(Exception):
    """A user-facing error: the message names the thing, the rule and the fix. The CLI exits 2 on it.

    Its text is one line whatever went into it: a newline or other control character in a name the user
    gave (a YAML key may hold one) is shown escaped.

    Example:
        >>> print(SweepError("space.l\\nr: unknown key"))
        space.l\\nr: unknown key
    """

    def __str__(self) -> str:
        text = super().__str__()
        return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


SHOW_LIMIT = 80  # characters of a got-value in a message: enough to recognise it, never a wall of text


def show(value: Any) -> str:
    """The got-value as the user would recognise it (``'ten'``, ``[0, 1]``, ``0.5``), cut to one short line.

    Example:
        >>> show((0, 1)), show(10**5000)
        ('[0, 1]', 'an integer of about 5001 digits')
    """
    if isinstance(value, tuple):
        value = list(value)
    try:
        text = repr(value)
    except ValueError:  # an integer too long for str(): Python refuses over 4300 digits
        if isinstance(value, int):
            return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
        return "a value too large to show"
    except RecursionError:
        return "a nested value"
    return text if len(text) <= SHOW_LIMIT else text[: SHOW_LIMIT - 1] + "…"


def text_of(key: Any) -> str:
    """A key or value as text: ``str(key)``, or :func:`show` for one that will not print on one plain line
    (a huge integer, a newline or other control character).

    Example:
        >>> print(text_of("lr"), text_of("l\\nr"))
        lr 'l\\nr'
    """
    try:
        text = str(key)
    except ValueError:
        return show(key)
    return text if text.isprintable() else show(key)
