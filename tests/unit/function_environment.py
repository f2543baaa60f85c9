"""The environment a function's unit tests run its handler in: the template's, with moto's mock credentials and
nothing pointing botocore at a real endpoint or profile."""

import pytest

from tooling.template import Template

MOCK_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def use_function_environment(monkeypatch: pytest.MonkeyPatch, template: Template, *functions: str) -> None:
    """Each function's environment as ``template`` declares it, then moto's credentials, in this test."""
    for function in functions:
        for name, value in template.functions[function].environment.items():
            monkeypatch.setenv(name, value)
    for name, value in MOCK_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
