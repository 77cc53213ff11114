"""Transforms template.yaml with the SAM translator, the way `sam deploy` (and cfn-lint) do.

Usage: python3 sam_transform.py TEMPLATE '{"ApiType": "REST", ...}'
       python3 sam_transform.py TEMPLATE --raw     (the template itself, parsed, as JSON)
Prints the resulting CloudFormation template as JSON on stdout. Local CodeUri/ContentUri
are replaced with a fake S3 location, as `sam package` would; conditions are left for
CloudFormation to resolve (the translator does not evaluate them).
"""
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.parser import parser  # noqa: E402
from samtranslator.translator.translator import Translator  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402


def main() -> None:
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    if sys.argv[2] == "--raw":
        json.dump(template, sys.stdout, indent=1, default=str)
        return
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function":
            props["CodeUri"] = "s3://bucket/preflight.zip"
        if resource.get("Type") == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://bucket/layer.zip"
    params = json.loads(sys.argv[2])
    translated = Translator(managed_policy_map={}, sam_parser=parser.Parser()).translate(
        sam_template=template, parameter_values=params, passthrough_metadata=True
    )
    json.dump(translated, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
