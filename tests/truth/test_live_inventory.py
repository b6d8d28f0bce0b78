"""collect_inventory / describe_resources: the real SDK against the emulator over loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_support import (  # noqa: F401 (fixture)
    demo,
    fast_options,
    generated,
    kms_env,
    running,
    without_run_metadata,
)

from tfkms.errors import TfkmsError
from tfkms.truth.inventory import dumps_inventory
from tfkms.truth.live import LiveCallError, collect_inventory, describe_resources

pytestmark = pytest.mark.usefixtures("kms_env")
REGIONS = ["cn-hangzhou", "ap-southeast-1"]


def test_demo_inventory_is_complete_and_exact_with_every_fourth_call_throttled() -> None:
    with running(demo(), throttle_every=4) as (emulator, url):
        got = collect_inventory(REGIONS, fast_options(url, key_versions=True))
    assert got.source == f"live:{url}" and got.generated_at
    assert dumps_inventory(without_run_metadata(got)) == dumps_inventory(without_run_metadata(demo()))
    throttled = [c for c in emulator.calls() if c.code == "Throttling"]
    assert throttled and len(throttled) == len(emulator.calls()) // 4
    assert not [c for c in emulator.calls() if c.action == "GetSecretValue"]


def test_pagination_across_many_pages_and_alias_mapping() -> None:
    source = generated({"cn-beijing": (250, 130, 23), "eu-central-1": (3, 0, 0)})
    with running(source) as (emulator, url):
        got = collect_inventory(["cn-beijing", "eu-central-1"], fast_options(url))
    beijing = got.regions["cn-beijing"]
    assert [k.key_id for k in beijing.keys] == [f"key-cn-beijing-{n:05d}" for n in range(250)]
    assert len(beijing.secrets) == 130 and len(beijing.instances) == 23
    keys = {k.key_id: k for k in beijing.keys}
    assert keys["key-cn-beijing-00009"].aliases == ("alias/cn-beijing-9", "alias/cn-beijing-9-b")
    assert keys["key-cn-beijing-00003"].aliases == ("alias/cn-beijing-3",)
    assert keys["key-cn-beijing-00001"].aliases == ()
    assert (
        keys["key-cn-beijing-00000"].dkms_instance_id == "kst-cn-0000"
        and keys["key-cn-beijing-00001"].migrated is False
    )
    assert {i.instance_type for i in beijing.instances} == {"software", "hardware"}
    assert [k.key_id for k in got.regions["eu-central-1"].keys] == [f"key-eu-central-1-{n:05d}" for n in range(3)]
    pages = [c.params.get("PageNumber") for c in emulator.calls("ListKeys") if c.region == "cn-beijing"]
    assert pages == ["1", "2", "3"]


def test_credentials_come_from_the_default_chain() -> None:
    with running(demo()) as (emulator, url):
        collect_inventory(["cn-hangzhou"], fast_options(url))
    assert {c.credentials_provider for c in emulator.calls()} == {"default/env"}


def test_profile_reads_the_aliyun_cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alibabacloud_credentials.utils import auth_constant

    (tmp_path / ".aliyun").mkdir()
    (tmp_path / ".aliyun" / "config.json").write_text(
        json.dumps(
            {
                "current": "other",
                "profiles": [
                    {"name": "other", "mode": "AK", "access_key_id": "nope", "access_key_secret": "nope"},
                    {
                        "name": "emulator",
                        "mode": "AK",
                        "access_key_id": "tfkms-emulator-ak",
                        "access_key_secret": "tfkms-emulator-secret",
                    },
                ],
            }
        )
    )
    monkeypatch.setattr(auth_constant, "HOME", str(tmp_path))
    with running(demo()) as (emulator, url):
        got = collect_inventory(["cn-hangzhou"], fast_options(url, profile="emulator"))
    assert len(got.regions["cn-hangzhou"].keys) == 10
    assert {c.credentials_provider for c in emulator.calls()} == {"cli_profile/static_ak"}


def test_missing_credentials_are_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from alibabacloud_credentials.utils import auth_constant, auth_util

    monkeypatch.setattr(auth_util, "environment_access_key_id", None)
    monkeypatch.setattr(auth_util, "environment_access_key_secret", None)
    monkeypatch.setattr(auth_util, "environment_cli_profile_disabled", "true")
    monkeypatch.setattr(auth_util, "environment_credentials_file", str(tmp_path / "absent.ini"))
    monkeypatch.setattr(auth_constant, "HOME", str(tmp_path))
    with (
        running(demo()) as (emulator, url),
        pytest.raises(TfkmsError, match="no Alibaba Cloud credentials from the default credential chain"),
    ):
        collect_inventory(["cn-hangzhou"], fast_options(url))
    assert emulator.calls() == []


def test_wrong_secret_is_a_clear_error_naming_region_action_and_code(monkeypatch: pytest.MonkeyPatch) -> None:
    from alibabacloud_credentials.utils import auth_util

    monkeypatch.setattr(auth_util, "environment_access_key_secret", "a-wrong-secret-value")
    with running(demo()) as (_, url), pytest.raises(LiveCallError) as caught:
        collect_inventory(["cn-hangzhou"], fast_options(url))
    error = caught.value
    assert (error.region, error.code, error.status, error.attempts) == ("cn-hangzhou", "SignatureDoesNotMatch", 400, 1)
    message = str(error)
    assert message.startswith("cn-hangzhou: List") and "SignatureDoesNotMatch (HTTP 400)" in message
    assert "check the credentials" in message and "a-wrong-secret-value" not in message and "\n" not in message


def test_server_errors_and_dropped_connections_are_retried() -> None:
    with running(demo(), fail_rate=0.2, drop_every=9, seed=3) as (emulator, url):
        got = collect_inventory(REGIONS, fast_options(url, max_attempts=12))
    assert dumps_inventory(without_run_metadata(got)) == dumps_inventory(
        without_run_metadata(_without_version_counts(demo()))
    )
    statuses = [c.status for c in emulator.calls()]
    assert 503 in statuses and 0 in statuses  # 0: the emulator closed the connection without answering


def _without_version_counts(inventory):  # noqa: ANN001, ANN202
    from dataclasses import replace

    for region in inventory.regions.values():
        region.keys = [replace(k, version_count=None) for k in region.keys]
    return inventory


@pytest.mark.parametrize(("status", "retry_after"), [(429, None), (400, 30)])
def test_429_and_retry_after_throttling_are_retried(status: int, retry_after: int | None) -> None:
    slept: list[float] = []
    with running(demo(), throttle_every=3, throttle_status=status, throttle_retry_after_ms=retry_after) as (_, url):
        got = collect_inventory(["ap-southeast-1"], fast_options(url, sleep=slept.append))
    assert len(got.regions["ap-southeast-1"].keys) == 4
    assert slept and (retry_after is None or set(slept) == {0.005})  # retry-after (30 ms) capped by backoff_cap_s


def test_a_call_that_keeps_failing_stops_the_run_after_max_attempts() -> None:
    with running(demo(), always_fail=frozenset({"DescribeSecret"})) as (emulator, url):
        with pytest.raises(LiveCallError) as caught:
            collect_inventory(["cn-hangzhou"], fast_options(url, max_attempts=3, concurrency=1))
    error = caught.value
    assert (error.action, error.code, error.status, error.attempts) == (
        "DescribeSecret",
        "SerivceUnavailableTemporary",
        503,
        3,
    )
    assert "after 3 attempts" in str(error)
    assert len(emulator.calls("DescribeSecret")) == 3  # the first secret, three times; then the run stopped


def test_v2_signature_path_collects_the_same_inventory() -> None:
    with running(demo(), throttle_every=5) as (emulator, url):
        got = collect_inventory(REGIONS, fast_options(url, signature="v2"))
    assert dumps_inventory(without_run_metadata(got)) == dumps_inventory(
        without_run_metadata(_without_version_counts(demo()))
    )
    assert {c.signature for c in emulator.calls()} == {"v2"}


def test_alias_listing_falls_back_to_per_key_calls_when_list_aliases_is_not_served() -> None:
    with running(demo(), unsupported=frozenset({"ListAliases", "GetKmsInstance"})) as (emulator, url):
        got = collect_inventory(["cn-hangzhou"], fast_options(url))
    keys = {k.key_id: k.aliases for k in got.regions["cn-hangzhou"].keys}
    assert keys["94f3a5fb-d6a7-4418-83ee-a297a5b6cd3a"] == ("alias/backup", "alias/backup-v2")
    assert len(emulator.calls("ListAliasesByKeyId")) == 10
    assert [(i.instance_id, i.instance_type) for i in got.regions["cn-hangzhou"].instances] == [
        ("kst-hzz6512a4f0f3xk2v1y8", None),
        ("kst-hzz6623b5e1a4yl3w2z9", None),
    ]


def test_describe_resources_returns_only_what_exists() -> None:
    with running(demo(), throttle_every=4) as (emulator, url):
        got = describe_resources(
            "cn-hangzhou",
            ["1c7b2d73-5e2f-4c90-8b66-2a1f8d3e4b52", "alias/ledger", "key-gone", "alias/gone"],
            ["db/prod/password", "secret-gone"],
            fast_options(url),
        )
    region = got.regions["cn-hangzhou"]
    assert {(k.key_id, k.dkms_instance_id, k.protection_level) for k in region.keys} == {
        ("1c7b2d73-5e2f-4c90-8b66-2a1f8d3e4b52", "kst-hzz6512a4f0f3xk2v1y8", "SOFTWARE"),
        ("2d8c3e84-6f30-4da1-9c77-3b209e4f5c63", "kst-hzz6623b5e1a4yl3w2z9", "HSM"),
    }
    assert [(s.secret_name, s.dkms_instance_id) for s in region.secrets] == [
        ("db/prod/password", "kst-hzz6512a4f0f3xk2v1y8")
    ]
    assert [(i.instance_id, i.instance_type) for i in region.instances] == [
        ("kst-hzz6512a4f0f3xk2v1y8", "software"),
        ("kst-hzz6623b5e1a4yl3w2z9", "hardware"),
    ]
    assert {c.action for c in emulator.calls()} == {"DescribeKey", "DescribeSecret", "GetKmsInstance"}


def test_progress_bars_do_not_change_the_result() -> None:
    with running(demo()) as (_, url):
        got = collect_inventory(REGIONS, fast_options(url), progress=True)
    assert sum(len(r.keys) for r in got.regions.values()) == 14


@pytest.mark.parametrize(
    ("regions", "endpoint", "fragment"),
    [
        ([], None, "at least one region"),
        (["cn_hangzhou"], None, "not a region id"),
        (["cn-hangzhou", "cn-beijing"], "kms-vpc.cn-hangzhou.aliyuncs.com", "put {region} in it"),
        (["cn-hangzhou"], "ftp://kms.example", "--endpoint"),
        (["cn-hangzhou"], "https://kms.example/path", "--endpoint"),
    ],
)
def test_bad_regions_and_endpoints_fail_before_any_call(
    regions: list[str], endpoint: str | None, fragment: str
) -> None:
    from tfkms.truth.live import LiveOptions

    with pytest.raises(TfkmsError, match=fragment.replace("{", r"\{").replace("}", r"\}")):
        collect_inventory(regions, LiveOptions(endpoint=endpoint))
