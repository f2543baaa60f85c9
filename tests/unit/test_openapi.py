"""docs/openapi.yaml is a valid OpenAPI document that any YAML reader loads, not only libyaml."""

from pathlib import Path

import msgspec
import yaml
from openapi_spec_validator import validate

from messaging.api.models import CreateMessageGroupRequest, CreateMessageRequest

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_the_pure_python_yaml_loader_reads_it_as_libyaml_does() -> None:
    # PyYAML's own parser refuses some flow mappings libyaml accepts ({a: Coffee?}); other tools parse like it.
    text = OPENAPI.read_text(encoding="utf-8")
    assert yaml.SafeLoader.__module__ == "yaml.loader"  # the pure-Python loader, not yaml.CSafeLoader
    document = yaml.load(text, Loader=yaml.SafeLoader)
    if hasattr(yaml, "CSafeLoader"):
        assert document == yaml.load(text, Loader=yaml.CSafeLoader)


def test_it_is_a_valid_openapi_document() -> None:
    validate(yaml.load(OPENAPI.read_text(encoding="utf-8"), Loader=yaml.SafeLoader))


def test_its_examples_are_requests_the_service_accepts_as_written() -> None:
    document = yaml.load(OPENAPI.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    models = {"/api/messages": CreateMessageRequest, "/api/message_groups": CreateMessageGroupRequest}
    for path, model in models.items():
        example = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]
        assert msgspec.to_builtins(msgspec.convert(example, model)) == example
