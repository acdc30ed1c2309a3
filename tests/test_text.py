"""The character policy of text cells, both ways, and text escaped for a terminal."""

from __future__ import annotations

import unicodedata

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kerman_warning._text import escape, policy_pattern, text_problem

ARABIC_WORD = "كتاب"

REFUSED = [
    ("a\x00b", "U+0000", "a control character"),
    ("bell\x07", "U+0007", "a control character"),
    ("\x1b[2J", "U+001B", "a control character"),
    ("a\tb", "U+0009", "a TAB"),
    ("line\nbreak", "U+000A", "a line break"),
    ("cr\rhere", "U+000D", "a line break"),
    ("del\x7f", "U+007F", "a control character"),
    ("c1\x85", "U+0085", "a control character"),
    ("c1\x9b31m", "U+009B", "a control character"),
    ("soft\u00adhyphen", "U+00AD SOFT HYPHEN", "invisible"),
    ("zero\u200bwidth", "U+200B ZERO WIDTH SPACE", "invisible"),
    ("\u200fمرحبا", "U+200F RIGHT-TO-LEFT MARK", "invisible"),
    ("\u061cمرحبا", "U+061C ARABIC LETTER MARK", "invisible"),
    ("abc\u202edcba", "U+202E RIGHT-TO-LEFT OVERRIDE", "invisible"),
    ("iso\u2066late", "U+2066 LEFT-TO-RIGHT ISOLATE", "invisible"),
    ("word\u2060joiner", "U+2060 WORD JOINER", "invisible"),
    ("\ufeffbom", "U+FEFF ZERO WIDTH NO-BREAK SPACE", "invisible"),
    ("vs\ufe0f", "U+FE0F VARIATION SELECTOR-16", "invisible"),
    ("tag\U000e0041\U000e007f", "U+E0041 TAG LATIN CAPITAL LETTER A", "a tag character"),
    ("para\u2029graph", "U+2029 PARAGRAPH SEPARATOR", "a line break"),
    ("non\ufdd0char", "U+FDD0", "a noncharacter"),
    ("non\U0010ffff", "U+10FFFF", "a noncharacter"),
    ("latin\u200cjoiner", "U+200C ZERO WIDTH NON-JOINER", "not between two Arabic"),
    ("\u200c" + ARABIC_WORD, "U+200C", "not between two Arabic"),
    (ARABIC_WORD + "\u200d", "U+200D ZERO WIDTH JOINER", "not between two Arabic"),
    ("ب\u200c\u200cب", "U+200C", "not between two Arabic"),
    ("ب\u200c b", "U+200C", "not between two Arabic"),
]

ACCEPTED = [
    "plain text, with punctuation: (a) – b; «c»",
    "الولايات المتحدة حذرت إيران",
    "84\u00a0قتيلا",  # NO-BREAK SPACE, as the article writes it
    "می\u200cخواهم",  # Persian: ZWNJ between two Arabic-script letters
    "ها\u200dی",  # ZWJ likewise
    "بِ\u200cب",  # after a haraka (a combining mark)
    "emoji ☺ and CJK 漢字 and accents é",
]


@pytest.mark.parametrize(("value", "label", "what"), REFUSED, ids=[r[1] for r in REFUSED])
def test_refused_characters_are_named(value: str, label: str, what: str) -> None:
    problem = text_problem(value)
    assert problem is not None and label in problem and what in problem
    assert pc.match_substring_regex(pa.array([value]), policy_pattern())[0].as_py()


@pytest.mark.parametrize("value", ACCEPTED)
def test_accepted_text_passes_both_checks(value: str) -> None:
    assert text_problem(value) is None
    assert not pc.match_substring_regex(pa.array([value]), policy_pattern())[0].as_py()


def test_line_feed_only_where_the_article_is_copied() -> None:
    paragraphs = "فقرة أولى.\nفقرة ثانية."
    assert text_problem(paragraphs, line_breaks=True) is None
    assert "U+000A" in (text_problem(paragraphs) or "")
    assert "U+000D" in (text_problem("a\r\nb", line_breaks=True) or "")
    assert "U+0009" in (text_problem("a\tb", line_breaks=True) or "")
    column = pa.array([paragraphs, "a\r\nb"])
    assert pc.match_substring_regex(column, policy_pattern(line_breaks=True)).to_pylist() == [
        False,
        True,
    ]


def test_the_position_is_one_based() -> None:
    assert text_problem("ab\x1b") == "holds U+001B, a control character, at character 3"


interesting = st.sampled_from(
    list("\x00\t\n\r\x1b\x85\u00ad\u200b\u200c\u200d\u200e\u2028\u2066\ufeff\U000e0001")
    + list("\ufdd0\uffffبی\u064ea \u00a01٣")
)


@settings(max_examples=200, deadline=None)
@given(st.lists(interesting | st.characters(exclude_categories=["Cs"]), max_size=8), st.booleans())
@example(["ب", "\u200c", "\u064e"], False)
def test_the_python_and_re2_checks_agree(chars: list[str], line_breaks: bool) -> None:
    """One policy, two readings: a value is refused by one exactly when the other refuses it."""
    value = "".join(chars)
    found = pc.match_substring_regex(pa.array([value]), policy_pattern(line_breaks=line_breaks))
    assert (text_problem(value, line_breaks=line_breaks) is not None) == found[0].as_py()


@given(st.text())
def test_escaped_text_has_nothing_a_terminal_acts_on(text: str) -> None:
    shown = escape(text)
    assert shown.isprintable()
    assert all(unicodedata.category(c)[0] != "C" for c in shown)


def test_escape_keeps_what_is_printable() -> None:
    assert escape("مرحبا é ☺") == "مرحبا é ☺"
    assert escape("\x1b]0;owned\x07\x1b[2J") == "\\x1b]0;owned\\x07\\x1b[2J"
    assert escape("a\u202eb\ud800c\U000e0041") == "a\\u202eb\\ud800c\\U000e0041"


@given(st.dictionaries(st.text(max_size=6), st.text(max_size=12), max_size=4))
def test_json_for_any_terminal_keeps_its_value(value: dict[str, str]) -> None:
    import json

    from kerman_warning._text import for_terminal

    document = json.dumps(value, ensure_ascii=False, indent=2)
    for encoding in ("utf-8", "ascii", "latin-1"):
        shown = for_terminal(document, encoding=encoding, json=True)
        shown.encode(encoding)
        assert json.loads(shown) == json.loads(document)
        assert all(line.isprintable() for line in shown.split("\n"))


def test_text_for_a_terminal_keeps_lines_and_escapes_the_rest() -> None:
    from kerman_warning._text import for_terminal

    text = "a \x1b]0;x\x07 b\nمرحبا \x9b c\n"
    assert for_terminal(text, encoding="utf-8") == "a \\x1b]0;x\\x07 b\nمرحبا \\x9b c\n"
    assert for_terminal("مرحبا\n", encoding="ascii") == "\\u0645\\u0631\\u062d\\u0628\\u0627\n"
