"""The message rules (messaging.core.text, the request models) and docs/openapi.yaml's MessageText say the same."""

import re
import sys
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import jsonschema_rs
import msgspec
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from messaging.api.models import CreateMessageGroupRequest, CreateMessageRequest
from messaging.core.text import is_blank
from tests.message_text_cases import CASES, PARAMETERS, Case

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def message_text_schema() -> dict[str, Any]:
    document = yaml.load(OPENAPI.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    return document["components"]["schemas"]["MessageText"]


# Two implementations: Python's (jsonschema, as schemathesis and openapi-core use it) and a Rust one.
VALIDATORS = {
    "openapi-schema-validator": OAS30Validator(message_text_schema()).is_valid,
    "jsonschema-rs": jsonschema_rs.validator_for(message_text_schema()).is_valid,
}


def stored_by_the_model(model: type, text: str, **fields: str) -> str | None:
    try:
        return msgspec.convert({**fields, "message": text}, model).message
    except msgspec.ValidationError:
        return None


@PARAMETERS
@pytest.mark.parametrize("model", [CreateMessageRequest, CreateMessageGroupRequest])
def test_the_models_store_or_refuse_each_text(case: Case, model: type) -> None:
    fields = {"message_group_uuid": str(uuid.uuid4()), "handle": "bayko"}
    assert stored_by_the_model(model, case.text, **fields) == case.stored


@PARAMETERS
@pytest.mark.parametrize("validator", VALIDATORS.keys())
def test_the_openapi_schema_accepts_exactly_the_stored_texts(case: Case, validator: str) -> None:
    assert VALIDATORS[validator](case.text) == (case.stored is not None)


def test_the_openapi_pattern_calls_exactly_the_blank_code_points_blank() -> None:
    # Every code point, so the listed ranges can neither miss nor add one (a newer Unicode in a newer Python
    # would fail here, and the document must then follow).
    pattern = re.compile(message_text_schema()["pattern"])
    disagreements = [
        f"U+{code:04X} {unicodedata.name(chr(code), '?')}"
        for code in range(sys.maxunicode + 1)
        if (pattern.search(chr(code)) is None) != is_blank(chr(code))
    ]
    assert disagreements == []


def test_the_table_covers_every_kind_of_blank() -> None:
    blanks = {character for case in CASES if case.stored is None for character in case.text if is_blank(character)}
    kinds = {"Cf" if unicodedata.category(character) == "Cf" else "space" for character in blanks}
    assert kinds == {"Cf", "space"}
    assert any(ord(character) > 0xFFFF for character in blanks)  # astral format characters too
