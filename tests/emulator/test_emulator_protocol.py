"""The emulator speaks the real protocol: the official SDK over loopback HTTP, signatures checked."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from live_support import demo, generated, kms_env, running  # noqa: F401 (fixture)

from tfkms.emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET

pytestmark = pytest.mark.usefixtures("kms_env")

HZ_MIGRATED = "1c7b2d73-5e2f-4c90-8b66-2a1f8d3e4b52"  # alias/payments, in kst-hzz6512a4f0f3xk2v1y8


def sdk(
    url: str,
    secret: str = DEFAULT_ACCESS_KEY_SECRET,
    signature: str | None = None,
    region: str | None = None,
    access_key_id: str = DEFAULT_ACCESS_KEY_ID,
) -> Any:
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_tea_openapi.utils_models import Config, GlobalParameters

    return Client(
        Config(
            endpoint=url.removeprefix("http://"),
            protocol="http",
            access_key_id=access_key_id,
            access_key_secret=secret,
            signature_algorithm=signature,
            global_parameters=GlobalParameters(queries={"RegionId": region}) if region else None,
        )
    )


def models() -> Any:
    from alibabacloud_kms20160120 import models as m

    return m


def error_of(call: Any) -> Any:
    from Tea.exceptions import TeaException

    with pytest.raises(TeaException) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("signature", [None, "v2"])
def test_describe_key_by_id_alias_and_arn_with_both_signatures(signature: str | None) -> None:
    m = models()
    with running(demo()) as (emulator, url):
        client = sdk(url, signature=signature, region="cn-hangzhou")
        arn = f"acs:kms:cn-hangzhou:1188302156431012:key/{HZ_MIGRATED}"
        for ref in (HZ_MIGRATED, "alias/payments", arn):
            meta = client.describe_key(m.DescribeKeyRequest(key_id=ref)).body.key_metadata
            assert (meta.key_id, meta.dkmsinstance_id, meta.protection_level) == (
                HZ_MIGRATED,
                "kst-hzz6512a4f0f3xk2v1y8",
                "SOFTWARE",
            )
    assert {c.signature for c in emulator.calls()} == {signature or "v3"}


def test_list_keys_pages_and_filters() -> None:
    m = models()
    with running(generated({"cn-beijing": (5, 0, 1)})) as (_, url):
        client = sdk(url)
        pages = [client.list_keys(m.ListKeysRequest(page_number=n, page_size=2)).body for n in (1, 2, 3)]
        assert [p.total_count for p in pages] == [5, 5, 5]
        assert [k.key_id for p in pages for k in p.keys.key] == [f"key-cn-beijing-{n:05d}" for n in range(5)]
        migrated = client.list_keys(
            m.ListKeysRequest(
                page_size=100,
                filters=json.dumps(
                    [
                        {"Key": "DKMSInstanceId", "Values": ["kst-cn-0000"]},
                        {"Key": "KeyState", "Values": ["Enabled", "Disabled"]},
                    ]
                ),
            )
        ).body
        assert [k.key_id for k in migrated.keys.key] == [
            "key-cn-beijing-00000",
            "key-cn-beijing-00002",
            "key-cn-beijing-00004",
        ]
        assert migrated.keys.key[0].key_arn == "acs:kms:cn-beijing:1234567890123456:key/key-cn-beijing-00000"
        bad = error_of(lambda: client.list_keys(m.ListKeysRequest(page_size=101)))
        assert (bad.status_code, bad.code) == (400, "InvalidParameter")


def test_aliases_listed_for_the_account_and_per_key() -> None:
    m = models()
    with running(demo()) as (_, url):
        client = sdk(url, region="cn-hangzhou")
        every = client.list_aliases(m.ListAliasesRequest(page_size=100)).body
        pairs = {(a.alias_name, a.key_id) for a in every.aliases.alias}
        assert ("alias/payments", HZ_MIGRATED) in pairs and every.total_count == len(pairs) == 8
        backup = client.list_aliases_by_key_id(
            m.ListAliasesByKeyIdRequest(key_id="94f3a5fb-d6a7-4418-83ee-a297a5b6cd3a")
        ).body
        assert [a.alias_name for a in backup.aliases.alias] == ["alias/backup", "alias/backup-v2"]
        assert backup.aliases.alias[0].alias_arn == "acs:kms:cn-hangzhou:1188302156431012:alias/backup"


def test_secrets_list_without_instance_and_describe_with_tags() -> None:
    m = models()
    with running(demo()) as (_, url):
        client = sdk(url, region="cn-hangzhou")
        listed = client.list_secrets(m.ListSecretsRequest(page_size=3)).body
        assert listed.total_count == 4 and len(listed.secret_list.secret) == 3
        assert "DKMSInstanceId" not in json.dumps(listed.to_map())  # list items never carry it
        body = client.describe_secret(m.DescribeSecretRequest(secret_name="db/prod/password", fetch_tags="true")).body
        assert (body.dkmsinstance_id, body.encryption_key_id, body.secret_type) == (
            "kst-hzz6512a4f0f3xk2v1y8",
            HZ_MIGRATED,
            "Rds",
        )
        assert body.tags is not None and body.tags.tag == []
        untagged = client.describe_secret(m.DescribeSecretRequest(secret_name="db/prod/password")).body
        assert untagged.tags is None
        missing = error_of(lambda: client.describe_secret(m.DescribeSecretRequest(secret_name="nope")))
        assert (missing.status_code, missing.code) == (404, "Forbidden.ResourceNotFound")


def test_kms_instances_default_page_size_is_20_and_get_describes_one() -> None:
    m = models()
    with running(generated({"cn-beijing": (0, 0, 25)})) as (_, url):
        client = sdk(url)
        first = client.list_kms_instances(m.ListKmsInstancesRequest()).body
        assert (first.page_size, first.total_count, len(first.kms_instances.kms_instance)) == (20, 25, 20)
        assert (
            first.kms_instances.kms_instance[0].kms_instance_arn
            == "acs:kms:cn-beijing:1234567890123456:keystore/kst-cn-0000"
        )
        info = client.get_kms_instance(m.GetKmsInstanceRequest(kms_instance_id="kst-cn-0001")).body.kms_instance
        assert (info.instance_id, info.instance_name, info.status, info.spec, info.product_type) == (
            "kst-cn-0001",
            "inst-kst-cn-0001",
            "Connected",
            1000,
            "hardware",
        )
        missing = error_of(lambda: client.get_kms_instance(m.GetKmsInstanceRequest(kms_instance_id="kst-x")))
        assert missing.code == "Forbidden.DKMSInstanceNotFound"


def test_key_versions_and_not_found_codes() -> None:
    m = models()
    with running(demo()) as (_, url):
        client = sdk(url, region="cn-hangzhou")
        versions = client.list_key_versions(m.ListKeyVersionsRequest(key_id="alias/backup")).body
        assert versions.total_count == 3
        assert versions.key_versions.key_version[-1].key_version_id == "02c183a9-b3d5-46f7-189a-bcdef0123456"
        for ref, code in (("key-missing", "Forbidden.KeyNotFound"), ("alias/missing", "Forbidden.AliasNotFound")):
            error = error_of(lambda ref=ref: client.describe_key(m.DescribeKeyRequest(key_id=ref)))
            assert (type(error).__name__, error.status_code, error.code) == ("ClientException", 404, code)


def test_region_is_chosen_by_the_region_id_parameter() -> None:
    m = models()
    with running(demo()) as (emulator, url):
        for region, expected in (("ap-southeast-1", 4), ("cn-hangzhou", 10), ("us-west-1", 0)):
            assert sdk(url, region=region).list_keys(m.ListKeysRequest(page_size=100)).body.total_count == expected
        # no RegionId: the first region of the snapshot
        assert sdk(url).list_keys(m.ListKeysRequest()).body.total_count == 4
    assert [c.region for c in emulator.calls()] == ["ap-southeast-1", "cn-hangzhou", "us-west-1", "ap-southeast-1"]


@pytest.mark.parametrize("signature", [None, "v2"])
def test_wrong_secret_and_unknown_access_key_are_refused(signature: str | None) -> None:
    m = models()
    with running(demo()) as (emulator, url):
        wrong = error_of(lambda: sdk(url, secret="not-the-secret", signature=signature).list_keys(m.ListKeysRequest()))
        assert (type(wrong).__name__, wrong.status_code, wrong.code) == (
            "ClientException",
            400,
            "SignatureDoesNotMatch",
        )
        unknown = error_of(
            lambda: sdk(url, access_key_id="AKIDunknown", signature=signature).list_keys(m.ListKeysRequest())
        )
        assert (unknown.status_code, unknown.code) == (404, "InvalidAccessKeyId.NotFound")
    assert [c.status for c in emulator.calls()] == [400, 404]


def test_unknown_action_such_as_get_secret_value_is_not_served() -> None:
    m = models()
    with running(demo()) as (_, url):
        error = error_of(lambda: sdk(url).get_secret_value(m.GetSecretValueRequest(secret_name="db/prod/password")))
        assert (error.status_code, error.code) == (404, "InvalidAction.NotFound")


def _raw_v3(url: str, body: bytes = b"", nonce: str = "n-1", sign_body: bytes = b"") -> urllib.request.Request:
    """A V3 request signed with the SDK's own signer; `sign_body` lets the body differ from what was hashed."""
    import hashlib

    from alibabacloud_tea_openapi.utils import Utils
    from darabonba.request import DaraRequest

    request = DaraRequest()
    request.method, request.pathname, request.query = "POST", "/", {"PageSize": "1"}
    request.headers = {
        "host": url.removeprefix("http://"),
        "x-acs-action": "ListKeys",
        "x-acs-version": "2016-01-20",
        "x-acs-date": Utils.get_timestamp(),
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": hashlib.sha256(sign_body).hexdigest(),
    }
    request.headers["Authorization"] = Utils.get_authorization(
        request,
        "ACS3-HMAC-SHA256",
        request.headers["x-acs-content-sha256"],
        DEFAULT_ACCESS_KEY_ID,
        DEFAULT_ACCESS_KEY_SECRET,
    )
    headers = {k: v for k, v in request.headers.items() if k != "host"}
    return urllib.request.Request(f"{url}/?PageSize=1", data=body, headers=headers, method="POST")


def _send(request: urllib.request.Request) -> tuple[int, dict]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_payload_hash_nonce_replay_and_unsigned_requests_are_refused() -> None:
    with running(demo()) as (_, url):
        assert _send(_raw_v3(url, nonce="once"))[0] == 200
        status, body = _send(_raw_v3(url, nonce="once"))
        assert (status, body["Code"]) == (400, "SignatureNonceUsed")
        status, body = _send(_raw_v3(url, body=b"tampered", nonce="other", sign_body=b""))
        assert (status, body["Code"]) == (400, "IncompleteSignature") and "x-acs-content-sha256" in body["Message"]
        status, body = _send(urllib.request.Request(f"{url}/?Action=ListKeys", data=b"", method="POST"))
        assert (status, body["Code"]) == (400, "IncompleteSignature")
        assert set(body) >= {"RequestId", "HostId", "Code", "Message"}


def test_throttling_without_retry_after_surfaces_as_client_exception() -> None:
    m = models()
    with running(demo(), throttle_every=2) as (emulator, url):
        client = sdk(url)
        client.list_keys(m.ListKeysRequest())
        error = error_of(lambda: client.list_keys(m.ListKeysRequest()))
        assert (type(error).__name__, error.status_code, error.code) == ("ClientException", 400, "Throttling")
        client.list_keys(m.ListKeysRequest())
    assert [c.code for c in emulator.calls()] == [None, "Throttling", None]


def test_throttling_variants_429_and_retry_after() -> None:
    m = models()
    with running(demo(), throttle_every=1, throttle_status=429) as (_, url):
        error = error_of(lambda: sdk(url).describe_secret(m.DescribeSecretRequest(secret_name="sg/app/config")))
        assert (type(error).__name__, error.status_code, error.code) == ("ClientException", 429, "Rejected.Throttling")
    with running(demo(), throttle_every=1, throttle_retry_after_ms=50) as (_, url):
        error = error_of(lambda: sdk(url).list_keys(m.ListKeysRequest()))
        assert (type(error).__name__, error.retry_after) == ("ThrottlingException", 50)


def test_fail_rate_answers_503_server_exceptions() -> None:
    m = models()
    with running(demo(), fail_rate=1.0) as (_, url):
        error = error_of(lambda: sdk(url).list_keys(m.ListKeysRequest()))
        assert (type(error).__name__, error.status_code) == ("ServerException", 503)
