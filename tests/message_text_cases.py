"""One table of message texts and what becomes of each: shared by the model, the HTTP and the OpenAPI tests.

``stored`` is the text the service keeps (trimmed), or None where the message is refused (422). The OpenAPI
schema must call a text valid exactly when it is stored (docs/openapi.yaml, MessageText).
"""

from dataclasses import dataclass

import pytest

SHALOM = "\u05e9\u05dc\u05d5\u05dd"  # Hebrew, written right to left
SCOTLAND = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # black flag + tags + cancel tag


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    stored: str | None


CASES = [
    Case("plain", "hi", "hi"),
    Case("spaces and a new line around", "  hi \n", "hi"),
    Case("empty", "", None),
    Case("ASCII whitespace only", " \t\n\v\f\r", None),
    Case("information separators only (str.isspace, not Unicode White_Space)", "\x1c\x1d\x1e\x1f", None),
    Case("next line only", "\x85", None),
    Case("no-break space only", "\xa0", None),
    Case("Unicode spaces only", "\u1680\u2000\u200a\u202f\u205f\u3000", None),
    Case("line and paragraph separators only", "\u2028\u2029", None),
    Case("byte order mark only", "\ufeff", None),
    Case("zero width space only", "\u200b", None),
    Case("zero width non-joiner only", "\u200c", None),
    Case("zero width joiner only", "\u200d", None),
    Case("word joiner only", "\u2060", None),
    Case("soft hyphen only", "\xad", None),
    Case("Mongolian vowel separator only", "\u180e", None),
    Case("invisible operators only", "\u2061\u2062\u2063\u2064", None),
    Case("interlinear annotation only", "\ufff9\ufffa\ufffb", None),
    Case("a bidi override only", "\u202e", None),
    Case("bidi marks and isolates only", "\u200e\u200f\u2066\u2069", None),
    Case("an Arabic number sign only", "\u0600", None),
    Case("astral format characters only", "\U000110bd\U0001d173\U000e0001\U000e0020\U000e007f", None),
    Case("Egyptian and shorthand format controls only", "\U00013430\U0001343f\U0001bca0", None),
    Case("every kind of blank at once", " \ufeff\u200b\n\u2060\xa0\u3000\x85", None),
    Case("format characters around", "\ufeffhi\u200b", "hi"),
    Case("whitespace and format characters around", " \u200d hi \u2060 ", "hi"),
    Case("inner format character kept", "a\u200bb", "a\u200bb"),
    Case("inner whitespace kept", "a \u3000 b", "a \u3000 b"),
    Case("a leading bidi override stays", "\u202eRTL override", "\u202eRTL override"),
    Case("a right-to-left mark stays", f"  \u200f{SHALOM}\u200f ", f"\u200f{SHALOM}\u200f"),
    Case("the flag of Scotland keeps its tags", f"Go {SCOTLAND} ", f"Go {SCOTLAND}"),
    Case("an Arabic number sign stays", "\u0600\u0661\u0662\n", "\u0600\u0661\u0662"),
    Case("a family emoji (joiners inside)", "👩\u200d👩\u200d👧", "👩\u200d👩\u200d👧"),
    Case("one visible character among blanks", "\u200b\ufeff.\u2060", "."),
    Case("1024 characters", "x" * 1024, "x" * 1024),
    Case("1024 astral characters", "🙂" * 1024, "🙂" * 1024),
    Case("1025 characters", "x" * 1025, None),
]

PARAMETERS = pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
