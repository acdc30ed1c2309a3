"""The written character policy of text cells, and text made safe to print on a terminal.

A text cell holds what a reader sees and a program compares reliably, so it may not hold
(docs/limits.md lists the same):

- NUL and the other C0 controls (U+0000-U+001F), DEL and the C1 controls (U+007F-U+009F).
  TAB is refused everywhere. LF is allowed only in fields that copy the article (`exact`),
  whose paragraphs it separates; CR is refused everywhere (the article uses LF only).
- U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: line breaks by another name.
- Default-ignorable code points (Unicode's Default_Ignorable_Code_Point: the soft hyphen,
  zero-width space, the bidi marks, embeddings, overrides and isolates, the word joiner,
  variation selectors, the byte order mark, the tag characters U+E0000-U+E007F, ...): they
  are invisible, so two cells that look the same would differ.
- Noncharacters (U+FDD0-U+FDEF and the last two code points of every plane).

Except: ZERO WIDTH NON-JOINER (U+200C) and ZERO WIDTH JOINER (U+200D) between two characters
of the Arabic script (letters, or combining marks such as harakat), where Persian and Arabic
spelling needs them (e.g. the Persian plural `ها` written apart from its word). Anywhere else
they are refused like the other default-ignorable code points.

The policy is one table of ranges, read by `text_problem` (for one value, with a reason) and
by `policy_pattern` (an RE2 pattern that flags a whole Arrow column in linear time).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

__all__ = ["escape", "for_terminal", "policy_pattern", "suspect_pattern", "text_problem"]

CONTROL, LINE_BREAK, TAB, INVISIBLE, TAG, NONCHARACTER = (
    "a control character",
    "a line break",
    "a TAB",
    "an invisible (default-ignorable) character",
    "a tag character",
    "a noncharacter",
)

# (first, last, what): refused code points. Default_Ignorable_Code_Point as in Unicode's
# DerivedCoreProperties.txt (unchanged since Unicode 7 but for the reserved ones it lists).
_REFUSED: tuple[tuple[int, int, str], ...] = (
    (0x0000, 0x0008, CONTROL),
    (0x0009, 0x0009, TAB),
    (0x000A, 0x000A, LINE_BREAK),
    (0x000B, 0x000C, CONTROL),
    (0x000D, 0x000D, LINE_BREAK),
    (0x000E, 0x001F, CONTROL),
    (0x007F, 0x009F, CONTROL),
    (0x00AD, 0x00AD, INVISIBLE),
    (0x034F, 0x034F, INVISIBLE),
    (0x061C, 0x061C, INVISIBLE),
    (0x115F, 0x1160, INVISIBLE),
    (0x17B4, 0x17B5, INVISIBLE),
    (0x180B, 0x180F, INVISIBLE),
    (0x200B, 0x200B, INVISIBLE),
    (0x200E, 0x200F, INVISIBLE),
    (0x2028, 0x2029, LINE_BREAK),
    (0x202A, 0x202E, INVISIBLE),
    (0x2060, 0x206F, INVISIBLE),
    (0x3164, 0x3164, INVISIBLE),
    (0xFDD0, 0xFDEF, NONCHARACTER),
    (0xFE00, 0xFE0F, INVISIBLE),
    (0xFEFF, 0xFEFF, INVISIBLE),
    (0xFFA0, 0xFFA0, INVISIBLE),
    (0xFFF0, 0xFFF8, INVISIBLE),
    *((plane + 0xFFFE, plane + 0xFFFF, NONCHARACTER) for plane in range(0, 0x110000, 0x10000)),
    (0x1BCA0, 0x1BCA3, INVISIBLE),
    (0x1D173, 0x1D17A, INVISIBLE),
    (0xE0000, 0xE007F, TAG),
    (0xE0080, 0xE0FFF, INVISIBLE),
)
_JOINERS = (0x200C, 0x200D)  # ZWNJ, ZWJ: allowed between two Arabic-script characters
# The Unicode blocks of the Arabic script: Arabic, Supplement, Extended-A/B/C, Presentation
# Forms-A/B, Rumi numerals, Indic Siyaq numbers, Ottoman Siyaq numbers, Mathematical symbols.
_ARABIC = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x0870, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFE),
    (0x10E60, 0x10E7F),
    (0x10EC0, 0x10EFF),
    (0x1EC70, 0x1ECBF),
    (0x1ED00, 0x1ED4F),
    (0x1EE00, 0x1EEFF),
)


def _refused(code: int, line_breaks: bool) -> str | None:
    if line_breaks and code == 0x0A:
        return None
    for first, last, what in _REFUSED:
        if first <= code <= last:
            return what
    return None


def _arabic(char: str) -> bool:
    code = ord(char)
    return unicodedata.category(char) == "Mn" or any(a <= code <= b for a, b in _ARABIC)


def text_problem(value: str, *, line_breaks: bool = False) -> str | None:
    """Why `value` breaks the policy, naming the first character that does (None if it holds).

    `line_breaks` allows LF (for fields that copy the article).
    """
    for index, char in enumerate(value):
        code = ord(char)
        what = _refused(code, line_breaks)
        if what is None and code in _JOINERS:
            inside = 0 < index < len(value) - 1
            if not (inside and _arabic(value[index - 1]) and _arabic(value[index + 1])):
                what = "a joiner that is not between two Arabic-script letters"
        if what is not None:
            name = unicodedata.name(char, "")
            label = f"U+{code:04X}" + (f" {name}" if name else "")
            return f"holds {label}, {what}, at character {index + 1}"
    return None


def _re2_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)


@functools.cache
def policy_pattern(*, line_breaks: bool = False) -> str:
    """An RE2 pattern that matches (somewhere in) exactly the values `text_problem` refuses."""
    refused = [(a, b) for a, b, _ in _REFUSED if not (line_breaks and a == b == 0x0A)]
    arabic = _re2_class(_ARABIC) + r"\p{Mn}"
    joiner = _re2_class([(code, code) for code in _JOINERS])
    return f"[{_re2_class(refused)}]|(?:^|[^{arabic}])[{joiner}]|[{joiner}](?:[^{arabic}]|$)"


@functools.cache
def suspect_pattern(*, line_breaks: bool = False) -> str:
    """An RE2 class of every character the policy may refuse in some context (the joiners
    included, whatever their neighbours): a cheap first search before `policy_pattern` runs
    cell by cell. `line_breaks` leaves LF out, as `policy_pattern` does."""
    refused = [(a, b) for a, b, _ in _REFUSED if not (line_breaks and a == b == 0x0A)]
    return f"[{_re2_class(refused + [(code, code) for code in _JOINERS])}]"


def escape(text: str) -> str:
    """`text` with every character a terminal would act on or hide shown as an escape.

    Controls (ESC starts terminal commands), bidi overrides, invisible and unpaired surrogate
    characters become `\\x1b`, `\\u202e`, `\\udc80`; everything printable stays as it is.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def for_terminal(text: str, *, encoding: str | None, json: bool = False) -> str:
    """`text` as it may be printed: line breaks kept, and every character a terminal would
    act on or hide, or that `encoding` cannot encode, escaped. For JSON the escapes are
    JSON's own (`\\u001b`, which only occur inside its strings), so the document keeps its
    value; for text they are `escape`'s."""
    encoding = encoding or "utf-8"
    try:
        if all(line.isprintable() for line in text.split("\n")):
            text.encode(encoding)
            return text
    except UnicodeEncodeError:
        pass
    shown = []
    for char in text:
        if char == "\n" or (char.isprintable() and _encodable(char, encoding)):
            shown.append(char)
        elif json:
            data = char.encode("utf-16-le", "surrogatepass")
            units = [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]
            shown.append("".join(f"\\u{unit:04x}" for unit in units))
        else:
            shown.append(_escaped(char))
    return "".join(shown)


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _escaped(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
