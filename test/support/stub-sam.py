"""A stand-in for `sam` in the deploy tests (made executable, first on PATH, by the test): it
records its arguments, one JSON list per line, in $STUB_SAM_RECORD, then does to the stack in moto
what `sam deploy` would, with the plain CloudFormation template in $STUB_TEMPLATE.
$STUB_SAM_MODE=broken fails before touching the stack, as sam does on a bad template;
$STUB_SAM_MODE=slow starts the change, then waits, as sam does while CloudFormation works."""
import json
import os
import sys
import time

args = sys.argv[1:]
with open(os.environ["STUB_SAM_RECORD"], "a", encoding="utf-8") as record:
    record.write(json.dumps(args) + "\n")

if args[:1] == ["--version"]:
    print("SAM CLI, version 1.170.0")
    sys.exit(0)
if args[:1] == ["build"]:
    # What sam build leaves for lambda-kit build to report on.
    os.makedirs(".aws-sam/build/AppFunction", exist_ok=True)
    with open(".aws-sam/build/AppFunction/bootstrap", "wb") as binary:
        binary.write(b"\x7fELF" + bytes(4096))
    print("Build Succeeded")
    sys.exit(0)
if "--guided" in args:
    # sam asks its questions at the terminal; the stub answers for itself.
    print("Configuring SAM deploy (guided): stdin is a terminal:", sys.stdin.isatty())
    sys.exit(0)
if os.environ.get("STUB_SAM_MODE") == "broken":
    print("Error: Template file not found at template.yaml", file=sys.stderr)
    sys.exit(1)

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def flag(name):
    return args[args.index(name) + 1] if name in args else None


overrides = []
if "--parameter-overrides" in args:
    for value in args[args.index("--parameter-overrides") + 1 :]:
        if value.startswith("--"):
            break
        key, _, val = value.partition("=")
        overrides.append({"ParameterKey": key, "ParameterValue": val})

name = flag("--stack-name")
cf = boto3.Session(profile_name=flag("--profile"), region_name=flag("--region")).client("cloudformation")
with open(os.environ["STUB_TEMPLATE"], encoding="utf-8") as f:
    body = f.read()
print(f"\n\tDeploying with following values\n\tStack name: {name}\n")
try:
    cf.describe_stacks(StackName=name)
    exists = True
except ClientError:
    exists = False
try:
    if exists:
        cf.update_stack(StackName=name, TemplateBody=body, Parameters=overrides, Capabilities=["CAPABILITY_IAM"])
    else:
        cf.create_stack(StackName=name, TemplateBody=body, Parameters=overrides, Capabilities=["CAPABILITY_IAM"])
except ClientError as error:
    if "No updates are to be performed" in str(error):
        print(f"No changes to deploy. Stack {name} is up to date")
        sys.exit(0)
    raise
time.sleep(float(os.environ.get("STUB_SAM_SLEEP", "30")) if os.environ.get("STUB_SAM_MODE") == "slow" else 0.2)
status = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
print(f"Stack {name}: {status}")
if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
    print(f"Error: Failed to create/update the stack: {name}, Waiter StackCreateComplete failed", file=sys.stderr)
    sys.exit(1)
print(f"Successfully created/updated stack - {name} in {flag('--region')}")
