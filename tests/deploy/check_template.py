#!/usr/bin/env python3
"""Checks deploy/template.yaml: lint, SAM transform, drift against the code, and the security
defaults and checkov scan of tests/deploy/security.py.

    python3 tests/deploy/check_template.py [PATH_TO_BINARY]

PATH_TO_BINARY defaults to target/debug/whatsapp-lambda (relative to the repository root); the
script runs `<binary> schema` and compares the table in the template with it. Needs cfn-lint and
aws-sam-translator importable by this Python (tests/run.sh installs both into .tools/venv), and
checkov in .tools/checkov-venv, on PATH or named by $CHECKOV (its own venv: it pins boto3 and
networkx versions that moto and cfn-lint do not want).
Nothing here talks to AWS. Each check prints one line; the last line is `N passed, M failed`, and
the exit status is 1 when any check failed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import security  # noqa: E402 - beside this file, found through the path above

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "template.yaml"
SAMCONFIG_EXAMPLE = ROOT / "deploy" / "samconfig.toml.example"
# cfn-lint's informational rules too: the template is kept free of every finding.
CFN_LINT_ARGS = ["--include-checks", "I", "--"]

# Parameter values for the transform checks. Only the required parameters and the ones that
# switch conditions are given; the rest keep their defaults.
PHONE = "arn:aws:social-messaging:us-east-1:123456789012:phone-number-id/0123456789abcdef0123456789abcdef"
WABA = "arn:aws:social-messaging:us-east-1:123456789012:waba/0123456789abcdef0123456789abcdef"
VARIANTS = {
    "IAM auth, new topic, no alarm email": {
        "WabaArns": [WABA],
        "PhoneNumberArns": [PHONE],
        "IamScopes": "arn:aws:iam::123456789012:role/ops=admin;arn:aws:iam::123456789012:role/agent=read,send",
        "AllowedWabaIds": "102290129340398",
    },
    "JWT auth, existing topic, alarm email": {
        "WabaArns": [WABA],
        "PhoneNumberArns": [PHONE],
        "AllowedWabaIds": "102290129340398,AC0123456789abcdef0123456789abcdef",
        "ApiAuth": "JWT",
        "JwtIssuer": "https://issuer.example.com/",
        "JwtAudience": ["whatsapp-lambda"],
        "JwtScopePrefix": "whatsapp/",
        "EventTopicArn": "arn:aws:sns:us-east-1:123456789012:eum-whatsapp-events",
        "AlarmEmail": "ops@example.com",
        "ReservedConcurrency": "10",
    },
}

# Routes that are verified by the function (a webhook signature) instead of an authorizer:
# exactly these may have no security requirement.
SIGNED_ROUTES = {
    ("GET", "/webhooks/meta"),
    ("POST", "/webhooks/meta"),
    ("POST", "/webhooks/twilio"),
    ("POST", "/webhooks/wix"),
}
# The inbox page's static files (docs/inbox.md): no data, so no authorizer; the page then
# calls the actions with the caller's JWT.
PAGE_ROUTES = {
    ("GET", "/inbox"),
    ("GET", "/inbox/{file}"),
}

results: list[tuple[bool, str]] = []


def check(name: str) -> Callable[[Callable[[], str | None]], None]:
    """Runs the decorated function as one check: it returns a detail string (or None) on
    success and raises AssertionError (or anything else) on failure."""

    def run(fn: Callable[[], str | None]) -> None:
        try:
            detail = fn()
            ok, text = True, f"ok   {name}" + (f": {detail}" if detail else "")
        except AssertionError as e:
            ok, text = False, f"FAIL {name}: {e}"
        except Exception as e:  # noqa: BLE001 - any crash is that check's failure
            ok, text = False, f"FAIL {name}: {type(e).__name__}: {e}"
        results.append((ok, text))
        print(text.replace("\n", " | "), flush=True)

    return run


def cfn_lint_command() -> list[str]:
    beside = Path(sys.executable).with_name("cfn-lint")
    if beside.exists():
        return [str(beside)]
    on_path = shutil.which("cfn-lint")
    if on_path:
        return [on_path]
    return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]


def cfn_lint(path: Path) -> str:
    proc = subprocess.run(
        [*cfn_lint_command(), *CFN_LINT_ARGS, str(path)], capture_output=True, text=True
    )
    findings = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and not findings, (
        f"cfn-lint exit {proc.returncode}:\n{findings[:4000]}"
    )
    return "no findings"


def load_template() -> dict[str, Any]:
    from cfnlint.decode import decode  # handles !Ref, !Sub, !GetAtt ... tags

    template, matches = decode(str(TEMPLATE))
    assert not matches and template is not None, f"cannot decode: {matches}"
    return template


def only_resource(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [r for r in template["Resources"].values() if r.get("Type") == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def binary_schema(binary: Path) -> dict[str, Any]:
    assert binary.exists(), f"{binary} does not exist (cargo build first, or pass its path)"
    proc = subprocess.run([str(binary), "schema"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"`{binary} schema` exited {proc.returncode}: {proc.stderr[:2000]}"
    return json.loads(proc.stdout)


def sam_transform(template: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the translator needs a region name
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its "unpublished metrics" noise
    from samtranslator.public.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # the template names no managed policies; never ask IAM
        def load(self) -> dict[str, str]:
            return {}

    document = json.loads(json.dumps(template))
    for resource in document["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            # `sam deploy` replaces the local CodeUri with the uploaded artifact's S3 URI.
            resource["Properties"]["CodeUri"] = "s3://artifacts-bucket/whatsapp-lambda.zip"
    try:
        return transform(document, params, NoManagedPolicies())
    except InvalidDocumentException as e:
        raise AssertionError("; ".join(c.message for c in e.causes)) from None


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace", "x-amazon-apigateway-any-method"}
REMOVED = object()  # what {"Ref": "AWS::NoValue"} resolves to


def resolve_conditions(template: dict[str, Any], params: dict[str, Any]) -> Callable[[Any], Any]:
    """A function that resolves Fn::If (and AWS::NoValue) in a node of `template` for these
    parameter values (the given ones, else each parameter's Default)."""
    values = {n: params.get(n, spec.get("Default")) for n, spec in template.get("Parameters", {}).items()}
    conditions = template.get("Conditions", {})

    def scalar(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"}:
            node = values.get(node["Ref"], node["Ref"])
        return ",".join(map(str, node)) if isinstance(node, list) else str(node)

    def holds(expr: Any) -> bool:
        (op, arg), = expr.items()
        if op == "Fn::Equals":
            return scalar(arg[0]) == scalar(arg[1])
        if op == "Fn::Not":
            return not holds(arg[0])
        if op == "Fn::And":
            return all(holds(a) for a in arg)
        if op == "Fn::Or":
            return any(holds(a) for a in arg)
        if op == "Condition":
            return holds(conditions[arg])
        raise AssertionError(f"cannot evaluate condition {expr}")

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"Fn::If"}:
                name, yes, no = node["Fn::If"]
                return resolve(yes if holds(conditions[name]) else no)
            if node == {"Ref": "AWS::NoValue"}:
                return REMOVED
            out = {k: resolve(v) for k, v in node.items()}
            return {k: v for k, v in out.items() if v is not REMOVED}
        if isinstance(node, list):
            return [v for v in (resolve(x) for x in node) if v is not REMOVED]
        return node

    return resolve


# Webhook routes: verified by their signature in the function (X-Twilio-Signature, Wix's JWT),
# so they have no authorizer; each must be throttled by a RouteSettings entry of its stage.
WEBHOOK_ROUTES = {f"{method} {path}" for method, path in SIGNED_ROUTES | PAGE_ROUTES}


def throttled_routes(template: dict[str, Any], params: dict[str, Any]) -> set[str]:
    """Route keys with both throttling limits in an AWS::ApiGatewayV2::Stage's RouteSettings."""
    resolve = resolve_conditions(template, params)
    out = set()
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::ApiGatewayV2::Stage":
            continue
        settings = resolve(resource.get("Properties", {})).get("RouteSettings", {})
        for key, limits in settings.items():
            if "ThrottlingBurstLimit" in limits and "ThrottlingRateLimit" in limits:
                out.add(key)
    return out


def unauthorised_routes(template: dict[str, Any], params: dict[str, Any]) -> tuple[int, list[str]]:
    """(routes seen, routes without an authorizer) of a transformed template: every
    AWS::ApiGatewayV2::Route and AWS::ApiGateway::Method resource, and every operation of an
    OpenAPI body (AWS::ApiGatewayV2::Api, AWS::ApiGateway::RestApi). Exactly the
    WEBHOOK_ROUTES may go without one, when throttled."""
    resolve = resolve_conditions(template, params)
    throttled = throttled_routes(template, params)
    seen, bad = 0, []
    for name, resource in template["Resources"].items():
        kind, props = resource.get("Type"), resolve(resource.get("Properties", {}))
        if kind in ("AWS::ApiGatewayV2::Route", "AWS::ApiGateway::Method"):
            seen += 1
            auth = props.get("AuthorizationType", "NONE")
            # A WebSocket API takes an authorizer on $connect only: $disconnect cannot have one.
            if props.get("RouteKey") == "$disconnect":
                continue
            if auth in ("NONE", None, ""):
                bad.append(f"{name} ({props.get('RouteKey') or props.get('HttpMethod')}) AuthorizationType {auth}")
        if kind == "AWS::ApiGatewayV2::Api" and ("Target" in props or "RouteKey" in props):
            seen += 1
            bad.append(f"{name}: quick-create Target/RouteKey makes a $default route without an authorizer")
        body = props.get("Body") if kind in ("AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi") else None
        if not isinstance(body, dict):
            continue
        schemes = {**body.get("securityDefinitions", {}), **body.get("components", {}).get("securitySchemes", {})}
        for path, item in body.get("paths", {}).items():
            for method, op in item.items():
                if method.lower() not in HTTP_METHODS:
                    continue
                seen += 1
                where = f"{name} {method.upper()} {path}"
                security = op.get("security", body.get("security"))
                route = f"{method.upper()} {path}"
                if not security and route in WEBHOOK_ROUTES:
                    if route not in throttled:
                        bad.append(f"{where}: a webhook route without throttling (RouteSettings)")
                    continue
                if not security:
                    bad.append(f"{where}: no security")
                    continue
                for requirement in security:
                    if not requirement:
                        bad.append(f"{where}: an empty security requirement (anonymous allowed)")
                    for scheme in requirement:
                        spec = schemes.get(scheme)
                        if not isinstance(spec, dict):
                            bad.append(f"{where}: security scheme {scheme} is not defined")
                        elif not ("x-amazon-apigateway-authorizer" in spec or spec.get("x-amazon-apigateway-authtype") == "awsSigv4"):
                            bad.append(f"{where}: security scheme {scheme} is not an API Gateway authorizer")
    return seen, bad


def main() -> int:
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("target/debug/whatsapp-lambda")
    if not binary.is_absolute():
        binary = ROOT / binary if not binary.exists() else binary.resolve()

    state: dict[str, Any] = {}

    @check("cfn-lint deploy/template.yaml")
    def _() -> str:
        return cfn_lint(TEMPLATE)

    @check("template decodes (cfnlint.decode)")
    def _() -> None:
        state["template"] = load_template()

    for variant, params in VARIANTS.items():

        @check(f"SAM transform + cfn-lint of the result ({variant})")
        def _(params: dict[str, Any] = params) -> str:
            out = sam_transform(state["template"], params)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "transformed.json"
                path.write_text(json.dumps(out, indent=1))
                cfn_lint(path)
            return f"{len(out['Resources'])} resources, no findings"

    for variant, params in VARIANTS.items():

        @check(f"every API route has an authorizer after the SAM transform ({variant})")
        def _(params: dict[str, Any] = params) -> str:
            out = sam_transform(state["template"], params)
            seen, bad = unauthorised_routes(out, params)
            assert seen, "no route found: the check would pass vacuously"
            assert not bad, "; ".join(bad)
            return f"{seen} routes"

    @check("the route check finds a route without an authorizer (self-test on a broken copy)")
    def _() -> str:
        params = next(iter(VARIANTS.values()))
        broken = json.loads(json.dumps(state["template"]))
        api = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi")
        paths = api["Properties"]["DefinitionBody"]["paths"]
        del paths["/"]["get"]["security"]
        paths["$default"] = {"x-amazon-apigateway-any-method": {"security": [{}], "responses": {}}}
        broken["Resources"]["OpenRoute"] = {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"ApiId": {"Ref": "HttpApi"}, "RouteKey": "GET /open"},
        }
        _, bad = unauthorised_routes(sam_transform(broken, params), params)
        assert len(bad) == 3, f"expected 3 findings, got {bad}"
        return f"{len(bad)} findings"

    @check("open routes: exactly the /webhooks/* and /inbox routes have no authorizer, and they are throttled")
    def _() -> str:
        params = next(iter(VARIANTS.values()))
        out = sam_transform(state["template"], params)
        assert WEBHOOK_ROUTES <= throttled_routes(out, params), "a webhook route has no throttling"
        # self-test: without its throttling, or under another path, the route is reported
        broken = json.loads(json.dumps(state["template"]))
        api = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi")
        del api["Properties"]["RouteSettings"]["POST /webhooks/wix"]
        api["Properties"]["DefinitionBody"]["paths"]["/hooks/other"] = {"post": {"responses": {}}}
        _, bad = unauthorised_routes(sam_transform(broken, params), params)
        assert len(bad) == 2, f"expected 2 findings, got {bad}"
        return f"{len(WEBHOOK_ROUTES)} webhook routes throttled; self-test finds {len(bad)}"

    @check("the routes without an authorizer are exactly the signed webhooks and the page's files, and the function has the webhook secrets")
    def _() -> str:
        api = only_resource(state["template"], "AWS::Serverless::HttpApi")
        paths = api["Properties"]["DefinitionBody"]["paths"]
        open_routes = {
            (method.upper(), path)
            for path, item in paths.items()
            for method, op in item.items()
            if method.lower() in HTTP_METHODS and not op.get("security")
        }
        assert open_routes == SIGNED_ROUTES | PAGE_ROUTES, f"routes without security: {sorted(open_routes)}"
        fn = only_resource(state["template"], "AWS::Serverless::Function")
        variables = fn["Properties"]["Environment"]["Variables"]
        missing = [n for n in ("META_APP_SECRET", "META_VERIFY_TOKEN") if n not in variables]
        assert not missing, f"the function's environment lacks {missing}: webhooks could not be verified"
        return ", ".join(f"{m} {p}" for m, p in sorted(open_routes))

    @check("the function is told how API callers get scopes (IAM_SCOPES, API_SCOPE_PREFIX)")
    def _() -> str:
        fn = only_resource(state["template"], "AWS::Serverless::Function")
        variables = fn["Properties"]["Environment"]["Variables"]
        missing = [n for n in ("IAM_SCOPES", "API_SCOPE_PREFIX") if n not in variables]
        assert not missing, f"the function's environment lacks {missing}: IAM callers would have no scopes"
        return ", ".join(f"{n} = {variables[n]}" for n in ("IAM_SCOPES", "API_SCOPE_PREFIX"))

    security.register(check, state)

    @check(f"`{binary.name} schema` runs")
    def _() -> None:
        state["schema"] = binary_schema(binary)

    def table() -> dict[str, Any]:
        assert "template" in state, "template did not decode (above)"
        assert "schema" in state, "no schema from the binary (above)"
        return only_resource(state["template"], "AWS::DynamoDB::Table")["Properties"]

    @check("table KeySchema equals the code's")
    def _() -> None:
        assert table()["KeySchema"] == state["schema"]["KeySchema"], (
            f"template {table()['KeySchema']} != code {state['schema']['KeySchema']}"
        )

    @check("table AttributeDefinitions equal the code's (as a set)")
    def _() -> str:
        as_set = lambda defs: {(d["AttributeName"], d["AttributeType"]) for d in defs}  # noqa: E731
        mine, code = as_set(table()["AttributeDefinitions"]), as_set(state["schema"]["AttributeDefinitions"])
        assert mine == code, f"only in template {sorted(mine - code)}, only in code {sorted(code - mine)}"
        return f"{len(code)} attributes"

    @check("table GlobalSecondaryIndexes: same index names")
    def _() -> str:
        mine = {i["IndexName"] for i in table().get("GlobalSecondaryIndexes", [])}
        code = {i["IndexName"] for i in state["schema"]["GlobalSecondaryIndexes"]}
        assert mine == code, f"only in template {sorted(mine - code)}, only in code {sorted(code - mine)}"
        return ", ".join(sorted(code))

    # One line per index the code defines (none when the schema check failed).
    code_indexes = {i["IndexName"]: i for i in state.get("schema", {}).get("GlobalSecondaryIndexes", [])}
    for index_name, code_index in code_indexes.items():

        @check(f"index {index_name}: KeySchema and Projection equal the code's")
        def _(index_name: str = index_name, code_index: dict[str, Any] = code_index) -> None:
            mine = {i["IndexName"]: i for i in table().get("GlobalSecondaryIndexes", [])}
            assert index_name in mine, "missing from the template"
            for key in ("KeySchema", "Projection"):
                assert mine[index_name][key] == code_index[key], (
                    f"{key}: template {mine[index_name][key]} != code {code_index[key]}"
                )

    @check("table BillingMode equals the code's")
    def _() -> str:
        assert table().get("BillingMode") == state["schema"]["BillingMode"], (
            f"template {table().get('BillingMode')} != code {state['schema']['BillingMode']}"
        )
        return state["schema"]["BillingMode"]

    @check("table TimeToLiveSpecification equals the code's")
    def _() -> None:
        assert table().get("TimeToLiveSpecification") == state["schema"]["TimeToLiveSpecification"], (
            f"template {table().get('TimeToLiveSpecification')} != code "
            f"{state['schema']['TimeToLiveSpecification']}"
        )

    @check("function builds the Cargo package's binary with cargo-lambda for arm64")
    def _() -> str:
        fn = only_resource(state["template"], "AWS::Serverless::Function")
        props, meta = fn["Properties"], fn.get("Metadata", {})
        assert meta.get("BuildMethod") == "rust-cargolambda", f"BuildMethod {meta.get('BuildMethod')}"
        binary_name = meta.get("BuildProperties", {}).get("Binary")
        cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
        bins = {b["name"] for b in cargo.get("bin", [])} | {cargo["package"]["name"]}
        assert binary_name in bins, f"Binary {binary_name!r} is not a binary of Cargo.toml ({sorted(bins)})"
        expected = {"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": ["arm64"], "CodeUri": ".."}
        for key, value in expected.items():
            assert props.get(key) == value, f"{key} is {props.get(key)!r}, expected {value!r}"
        return binary_name

    @check("every environment variable the template sets is named in src/")
    def _() -> str:
        fn = only_resource(state["template"], "AWS::Serverless::Function")
        names = set(fn["Properties"]["Environment"]["Variables"])
        source = "\n".join(p.read_text() for p in (ROOT / "src").rglob("*.rs"))
        unknown = sorted(n for n in names if f'"{n}"' not in source)
        assert not unknown, f"no \"NAME\" literal in src/ for {unknown}"
        return ", ".join(sorted(names))

    @check("no IAM Allow statement with Resource \"*\" (outside a KMS key policy, where \"*\" is that key)")
    def _() -> None:
        wildcard = []

        def walk(node: Any, where: str) -> None:
            if isinstance(node, dict) and node.get("Type") == "AWS::KMS::Key":
                # A key policy's Resource "*" means the key itself; its statements are checked
                # by security.py (no wildcard principal, conditioned services).
                node = {k: v for k, v in node.items() if k != "Properties"}
            if isinstance(node, dict):
                if node.get("Effect") == "Allow" and node.get("Resource") in ("*", ["*"]):
                    wildcard.append(where)
                for k, v in node.items():
                    walk(v, f"{where}/{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, f"{where}/{i}")

        walk(state["template"]["Resources"], "Resources")
        assert not wildcard, ", ".join(wildcard)

    @check("deploy/samconfig.toml.example names only template parameters, all required ones")
    def _() -> str:
        params = state["template"]["Parameters"]
        config = tomllib.loads(SAMCONFIG_EXAMPLE.read_text())
        overrides = config["default"]["deploy"]["parameters"]["parameter_overrides"]
        named = {re.match(r"([A-Za-z0-9]+)=", o).group(1) for o in overrides}  # type: ignore[union-attr]
        unknown = sorted(named - set(params))
        missing = sorted(p for p, d in params.items() if "Default" not in d and p not in named)
        assert not unknown and not missing, f"unknown {unknown}, required but absent {missing}"
        return f"{len(named)} of {len(params)} parameters"

    passed = sum(ok for ok, _ in results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
