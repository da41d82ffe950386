"""Runs the SAM transform (aws-sam-translator, installed with cfn-lint) over each template named
on the command line and prints one JSON object: path -> the CloudFormation template SAM
deploys, or {"error": message}. The template tests read the IAM it generates from this.
A first argument --parameters=<JSON object> transforms as `sam deploy --parameter-overrides`
would, for parameters SAM resolves itself."""
import json
import logging
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
logging.disable(logging.CRITICAL)

from samtranslator.parser.parser import Parser  # noqa: E402
from samtranslator.translator.translator import Translator  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

args = sys.argv[1:]
parameters = {}
if args and args[0].startswith("--parameters="):
    parameters = json.loads(args.pop(0)[len("--parameters="):])

result = {}
for path in args:
    try:
        with open(path, encoding="utf-8") as f:
            template = yaml_parse(f.read())
        # SAM wants packaged code; `sam deploy` uploads CodeUri: . to S3 first.
        for resource in template.get("Resources", {}).values():
            if resource.get("Type") == "AWS::Serverless::Function":
                resource["Properties"]["CodeUri"] = "s3://bucket/key"
        # No managed policy names to resolve: the templates name none.
        translator = Translator(managed_policy_map={}, sam_parser=Parser())
        result[path] = translator.translate(sam_template=template, parameter_values=dict(parameters))
    except Exception as error:  # noqa: BLE001 - reported per template, asserted by the test
        result[path] = {"error": f"{type(error).__name__}: {error}"}
json.dump(result, sys.stdout, default=str)
