"""template.yaml through the SAM transform, offline: what CloudFormation would create, SAM's roles included.

aws-sam-translator is the library behind CloudFormation's SAM transform. Offline, AWS managed policy names resolve
through the map the translator ships, and code locations are placeholders (the translator takes only S3 URIs).
What an AWS managed policy grants comes from moto's copy of AWS's managed policies.

    python -m tooling.sam_transform OUTPUT.json    # the transformed template, for scanners (make security)
"""

import copy
import json
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tooling.paths import TEMPLATE_PATH
from tooling.template import Template

# The pool is only named in the authorizer and the functions' environment: any well-formed ids do.
EXAMPLE_PARAMETERS = {"UserPoolId": "us-east-1_example", "UserPoolClientId": "exampleclient"}
_CODE_PROPERTIES = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def transform_parameter_values(template: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    """Parameter values as CloudFormation hands them to the SAM transform: defaults filled in, list types as lists.

    Given the plain string of a CommaDelimitedList, the translator would write ``"a,b"`` where the transform
    writes ``["a", "b"]`` (e.g. an HTTP API's CORS origins).
    """
    values: dict[str, Any] = {}
    for name, spec in template.get("Parameters", {}).items():
        if name not in parameters and "Default" not in spec:
            continue  # CloudFormation itself will refuse the stack; the translator needs no value
        value = parameters.get(name, spec.get("Default"))
        is_list = spec["Type"] == "CommaDelimitedList" or spec["Type"].startswith("List<")
        values[name] = [item.strip() for item in str(value).split(",")] if is_list else value
    return values


def translate_offline(
    parameters: Mapping[str, str] = EXAMPLE_PARAMETERS, path: Path = TEMPLATE_PATH, region: str = "us-east-1"
) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of ``path``."""
    # Imported here: the translator and boto3 are heavy, and only this function needs them.
    import boto3  # noqa: PLC0415
    from samtranslator.internal.managed_policies import get_bundled_managed_policy_map  # noqa: PLC0415
    from samtranslator.public.parser import Parser  # noqa: PLC0415
    from samtranslator.public.translator import Translator  # noqa: PLC0415

    document = copy.deepcopy(Template(path).document)
    for resource in document["Resources"].values():
        if code := _CODE_PROPERTIES.get(resource["Type"]):
            resource["Properties"][code] = "s3://offline-transform/code.zip"
    translator = Translator(
        managed_policy_map=None, sam_parser=Parser(), plugins=[], boto_session=boto3.Session(region_name=region)
    )
    return translator.translate(
        sam_template=document,
        parameter_values=transform_parameter_values(document, parameters),
        get_managed_policy_map=lambda: get_bundled_managed_policy_map("aws") or {},
    )


@cache
def aws_managed_policy_statements(arn: str) -> list[dict[str, Any]]:
    """The statements of an AWS managed policy (``arn:aws:iam::aws:policy/...``), as AWS publishes them."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: PLC0415

    policies = json.loads(aws_managed_policies_data)
    name = arn.rsplit("/", 1)[-1]
    if not arn.startswith("arn:aws:iam::aws:policy/") or name not in policies:
        raise KeyError(f"not an AWS managed policy known here: {arn}")
    statements = policies[name]["Document"]["Statement"]
    return statements if isinstance(statements, list) else [statements]


def for_scanners(translated: dict[str, Any], path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """``translated`` with each SAM resource's checkov skips on what SAM made of it under the same logical id.

    The transform drops a function's Metadata; its skips, and their reasons, are written once, in template.yaml.
    """
    for logical_id, resource in Template(path).resources.items():
        skips = (resource.get("Metadata") or {}).get("checkov")
        made = translated["Resources"].get(logical_id)
        if skips and made is not None and "checkov" not in made.get("Metadata", {}):
            made.setdefault("Metadata", {})["checkov"] = skips
    return translated


def main(argv: list[str] | None = None) -> int:
    (output,) = argv if argv is not None else sys.argv[1:]
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(for_scanners(translate_offline()), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
