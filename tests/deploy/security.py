"""The deployment's security defaults, checked on deploy/template.yaml (tests/deploy/check_template.py
runs these next to its own checks).

* Who may publish into the event topic: EUM Social of this account only (aws:SourceAccount and
  aws:SourceArn conditions, as the EUM Social guide recommends against the confused deputy).
* ALLOWED_WABA_IDS and API_SCOPE_PREFIX cannot be empty in a deployed stack: empty means "every
  WABA" and "every resource server's scopes".
* The topics and queues that carry customers' messages are encrypted with the stack's
  customer-managed KMS key, whose policy admits the services that must use it.
* checkov (PyPI `checkov`, installed into .tools/checkov-venv by tests/run.sh) finds nothing, except
  findings skipped in the resource's Metadata with a written reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

Check = Callable[[str], Callable[[Callable[[], str | None]], None]]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "template.yaml"
# What checkov writes when a Metadata skip has no `comment`.
NO_COMMENT = "No comment provided"
# A reason shorter than this is not a reason ("ok", "n/a", "todo").
MIN_REASON_CHARS = 20


def checkov_command() -> list[str]:
    """checkov from $CHECKOV, the repository's .tools/checkov-venv, or PATH."""
    if os.environ.get("CHECKOV"):
        return [os.environ["CHECKOV"]]
    venv = ROOT / ".tools" / "checkov-venv" / "bin" / "checkov"
    if venv.exists():
        return [str(venv)]
    on_path = shutil.which("checkov")
    assert on_path, "checkov is not installed (tests/run.sh installs it into .tools/checkov-venv)"
    return [on_path]


def run_checkov(path: Path) -> dict[str, Any]:
    """checkov's JSON report of one CloudFormation template (offline: --skip-download)."""
    proc = subprocess.run(
        [*checkov_command(), "--file", str(path), "--framework", "cloudformation",
         "--skip-download", "--output", "json", "--compact"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"checkov exit {proc.returncode}, no JSON report: {proc.stderr[-2000:]}") from None
    if isinstance(report, list):  # one entry per framework when several ran
        report = next(r for r in report if r.get("check_type") == "cloudformation")
    if "results" not in report:  # checkov prints only a summary when there was nothing to check
        raise AssertionError(f"checkov found nothing to check in {path}: {json.dumps(report)[:500]}")
    errors = report["results"].get("parsing_errors") or report.get("summary", {}).get("parsing_errors")
    assert not errors, f"checkov could not parse {path}: {errors}"
    return report


def unexplained(report: dict[str, Any]) -> tuple[list[str], list[str], int]:
    """(failed checks, skips without a written reason, skips with one) of a checkov report."""
    results = report["results"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['check_name']})" for c in results.get("failed_checks", [])
    ]
    bare, explained = [], 0
    for c in results.get("skipped_checks", []):
        reason = (c.get("check_result", {}).get("suppress_comment") or "").strip()
        if reason == NO_COMMENT or len(reason) < MIN_REASON_CHARS:
            bare.append(f"{c['check_id']} {c['resource']} (reason {reason!r})")
        else:
            explained += 1
    return failed, bare, explained


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in template["Resources"].items() if r.get("Type") == kind}


def refs_key(value: Any, keys: set[str]) -> bool:
    """`value` names one of the KMS key resources `keys` (Ref, GetAtt Arn, or a Sub of either)."""
    if isinstance(value, dict):
        if value.get("Ref") in keys:
            return True
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att and att[0] in keys:
            return True
        sub = value.get("Fn::Sub")
        if isinstance(sub, str):
            return any(f"${{{k}" in sub for k in keys)
    return False


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    found = policy.get("Statement", [])
    return found if isinstance(found, list) else [found]


def service_principals(statement: dict[str, Any]) -> set[str]:
    service = statement.get("Principal", {}).get("Service", []) if isinstance(statement.get("Principal"), dict) else []
    services = service if isinstance(service, list) else [service]
    # A !Sub principal (logs.${AWS::Region}.amazonaws.com) is kept as its template text.
    return {v if isinstance(v, str) else json.dumps(v) for v in services}


def condition_value(statement: dict[str, Any], operators: tuple[str, ...], key: str) -> Any:
    for op in operators:
        block = statement.get("Condition", {}).get(op, {})
        for k, v in block.items():
            if k.lower() == key.lower():
                return v
    return None


def parameter_can_be_empty(spec: dict[str, Any]) -> bool:
    """Whether a deployed stack can have this parameter empty: its Default is empty, or its
    AllowedPattern admits the empty string (a deployer could pass it)."""
    pattern = spec.get("AllowedPattern")
    admits_empty = pattern is None or re.fullmatch(pattern, "") is not None
    return str(spec.get("Default", "x")) == "" or admits_empty


def register(check: Check, state: dict[str, Any]) -> None:
    """Adds the security checks (they read state["template"], the decoded template)."""

    def template() -> dict[str, Any]:
        assert "template" in state, "template did not decode (above)"
        return state["template"]

    def data_keys() -> dict[str, dict[str, Any]]:
        keys = resources_of(template(), "AWS::KMS::Key")
        assert keys, "the template creates no KMS key"
        return keys

    @check("the created event topic admits EUM Social of this account only (aws:SourceAccount, aws:SourceArn)")
    def _() -> str:
        policies = resources_of(template(), "AWS::SNS::TopicPolicy")
        allows = [
            s
            for p in policies.values()
            for s in statements(p["Properties"]["PolicyDocument"])
            if s.get("Effect") == "Allow" and "social-messaging.amazonaws.com" in service_principals(s)
        ]
        assert allows, "no topic policy statement lets social-messaging.amazonaws.com publish"
        for s in allows:
            account = condition_value(s, ("StringEquals",), "aws:SourceAccount")
            assert account == {"Ref": "AWS::AccountId"}, (
                f"statement {s.get('Sid')}: aws:SourceAccount is {account!r}, expected !Ref AWS::AccountId"
            )
            arn = condition_value(s, ("ArnLike", "ArnEquals"), "aws:SourceArn")
            text = json.dumps(arn)
            assert arn and ":social-messaging:" in text and "AWS::AccountId" in text, (
                f"statement {s.get('Sid')}: aws:SourceArn {arn!r} does not name this account's EUM Social"
            )
        return f"{len(allows)} statement(s) conditioned"

    @check("ALLOWED_WABA_IDS cannot be empty in a deployed stack (empty would process every WABA)")
    def _() -> str:
        fn = next(iter(resources_of(template(), "AWS::Serverless::Function").values()))
        value = fn["Properties"]["Environment"]["Variables"].get("ALLOWED_WABA_IDS")
        assert isinstance(value, dict) and set(value) == {"Ref"}, (
            f"ALLOWED_WABA_IDS is {value!r}: expected !Ref of a parameter that cannot be empty"
        )
        name = value["Ref"]
        spec = template()["Parameters"][name]
        assert not parameter_can_be_empty(spec), (
            f"parameter {name} can be empty (Default {spec.get('Default')!r}, "
            f"AllowedPattern {spec.get('AllowedPattern')!r})"
        )
        return f"{name}: required, AllowedPattern {spec.get('AllowedPattern')}"

    @check("JwtScopePrefix defaults to a resource server's prefix (not empty: any prefix's admin would count)")
    def _() -> str:
        fn = next(iter(resources_of(template(), "AWS::Serverless::Function").values()))
        value = fn["Properties"]["Environment"]["Variables"].get("API_SCOPE_PREFIX")
        assert value == {"Ref": "JwtScopePrefix"}, f"API_SCOPE_PREFIX is {value!r}"
        default = template()["Parameters"]["JwtScopePrefix"].get("Default", "")
        assert default and default.endswith("/"), f"JwtScopePrefix default is {default!r}"
        return f"default {default}"

    @check("every SNS topic and SQS queue the stack creates is encrypted with the stack's KMS key")
    def _() -> str:
        keys = set(data_keys())
        checked, bad = [], []
        for kind in ("AWS::SNS::Topic", "AWS::SQS::Queue"):
            for name, resource in resources_of(template(), kind).items():
                checked.append(name)
                key = resource.get("Properties", {}).get("KmsMasterKeyId")
                if not refs_key(key, keys):
                    bad.append(f"{name} (KmsMasterKeyId {key!r})")
        for must in ("EventTopic", "NotifyTopic", "SnsDeadLetterQueue", "AsyncFailureQueue", "FastAckQueue"):
            assert must in checked, f"{must} is not in the template: the check would pass without it"
        assert not bad, "not under the stack's key: " + ", ".join(bad)
        return f"{len(checked)} topics and queues"

    @check("the KMS key admits, each for this account only, the services that publish into the encrypted topics and queues")
    def _() -> str:
        (name, key), = data_keys().items()
        props = key["Properties"]
        assert props.get("EnableKeyRotation") is True, "EnableKeyRotation is not true"
        assert key.get("DeletionPolicy") == "Retain", "the key must outlive the retained queues and logs"
        policy = statements(props["KeyPolicy"])
        by_service = {svc: s for s in policy for svc in service_principals(s) if s.get("Effect") == "Allow"}
        wanted = {
            # publishes EUM events into the event topic (its guide's key-policy statement)
            "social-messaging.amazonaws.com": ("aws:SourceAccount", "aws:SourceArn"),
            # moves undeliverable notifications into the SNS DLQ
            "sns.amazonaws.com": ("aws:SourceArn",),
            # alarm actions publish to the alarm topic
            "cloudwatch.amazonaws.com": ("aws:SourceAccount",),
        }
        for service, conditions in wanted.items():
            s = by_service.get(service)
            assert s, f"the key policy does not admit {service}"
            actions = set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
            assert {"kms:GenerateDataKey*", "kms:Decrypt"} <= actions, f"{service}: actions {sorted(actions)}"
            for c in conditions:
                assert condition_value(s, ("StringEquals", "ArnLike", "ArnEquals"), c), f"{service}: no {c} condition"
        wildcard = [s.get("Sid") for s in policy if s.get("Principal") in ("*", {"AWS": "*"})]
        assert not wildcard, f"statements with a wildcard principal: {wildcard}"
        # The function encrypts what it sends (queues, the notification topic) and decrypts what it
        # receives (queues, its environment).
        role = next(iter(resources_of(template(), "AWS::IAM::Role").values()))
        grants = [
            s
            for p in role["Properties"]["Policies"]
            if isinstance(p, dict) and "PolicyDocument" in p
            for s in statements(p["PolicyDocument"])
            if refs_key(s.get("Resource"), {name})
        ]
        actions = {a for s in grants for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
        assert {"kms:Decrypt", "kms:GenerateDataKey"} <= actions, f"the function's role has {sorted(actions)} on the key"
        return f"{name}: {', '.join(sorted(by_service))}"

    @check("checkov: no finding without a written reason")
    def _() -> str:
        failed, bare, explained = unexplained(run_checkov(TEMPLATE))
        assert not failed and not bare, "; ".join(
            [f"{len(failed)} failed: " + ", ".join(failed)] * bool(failed)
            + [f"{len(bare)} skipped without a reason: " + ", ".join(bare)] * bool(bare)
        )
        return f"no findings; {explained} skipped with a reason"

    @check("the checkov check reports a finding and a skip without a reason (self-test on a broken copy)")
    def _() -> str:
        broken: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}
        broken["Resources"]["OpenTopic"] = {"Type": "AWS::SNS::Topic", "Properties": {}}
        broken["Resources"]["OpenQueue"] = {
            "Type": "AWS::SQS::Queue",
            "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_27"}]}},
            "Properties": {},
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "broken.json"
            path.write_text(json.dumps(broken))
            failed, bare, _ = unexplained(run_checkov(path))
        assert any("OpenTopic" in f for f in failed), f"the unencrypted topic was not reported: {failed}"
        assert any("OpenQueue" in b for b in bare), f"the skip without a reason was not reported: {bare}"
        return f"{len(failed)} failed, {len(bare)} bare skip(s)"


if __name__ == "__main__":
    sys.exit("run tests/deploy/check_template.py")
