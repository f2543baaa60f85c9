"""docs/openapi.yaml is a valid OpenAPI document that any YAML reader loads, not only libyaml, and its examples
are requests the service accepts."""

from pathlib import Path

import msgspec
import yaml
from openapi_spec_validator import validate

from tests.unit.test_api_contract import MODEL_SCHEMAS

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
    bodies = [
        operation["requestBody"]["content"]["application/json"]
        for item in document["paths"].values()
        for operation in item.values()
        if "requestBody" in operation
    ]
    assert len(bodies) == 7  # C, D, the read marker, an edit, a report, settings and mute
    for body in bodies:
        model = MODEL_SCHEMAS[body["schema"]["$ref"].rsplit("/", 1)[1]]  # its schema's model
        assert msgspec.to_builtins(msgspec.convert(body["example"], model)) == body["example"]
