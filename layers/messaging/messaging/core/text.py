"""What counts as blank in a message, and how a message is trimmed: the one definition the API and docs share.

Blank: Unicode whitespace (``str.isspace``) and format characters (category Cf: U+FEFF, U+200B, U+2060, ...).
A message needs at least one character that is not blank. Blanks around the text are trimmed, inner ones kept,
except format characters that carry meaning at the edge of the text (the reader would see a different
message without them):

- bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) set the direction of the
  text they border: U+202E then "abc" displays as "cba";
- tag characters (U+E0020-U+E007F) end an emoji tag sequence: 🏴 followed by tags is the flag of Scotland;
- prepended concatenation marks (U+0600-U+0605, U+06DD, U+070F, U+0890-U+0891, U+08E2, U+110BD, U+110CD)
  span the number that follows them.

docs/openapi.yaml spells "has a character that is not blank" as a regex; tests check it against ``is_blank``.
"""

import unicodedata

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_TAGS = frozenset(map(chr, range(0xE0020, 0xE0080)))
_PREPENDED_MARKS = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd")
_KEPT_AT_THE_EDGES = _BIDI_CONTROLS | _TAGS | _PREPENDED_MARKS


def is_blank(character: str) -> bool:
    return character.isspace() or unicodedata.category(character) == "Cf"


def has_visible_character(text: str) -> bool:
    return not all(map(is_blank, text))


def trim(text: str) -> str:
    """``text`` without the blanks around it (see the module's docstring for the ones that stay)."""
    start, end = 0, len(text)
    while start < end and _trimmable(text[start]):
        start += 1
    while end > start and _trimmable(text[end - 1]):
        end -= 1
    return text[start:end]


def _trimmable(character: str) -> bool:
    return is_blank(character) and character not in _KEPT_AT_THE_EDGES
