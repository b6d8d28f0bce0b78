"""Simulating the KMS 1.0 -> 3.0 migration in the emulator, by Python API and by admin HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import replace

import pytest
from live_support import demo, fast_options, kms_env, running, without_run_metadata  # noqa: F401 (fixture)

from tfkms.emulator import EmulatorState, MigrationError
from tfkms.truth.inventory import dumps_inventory
from tfkms.truth.live import collect_inventory

SOFTWARE, HARDWARE = "kst-hzz6512a4f0f3xk2v1y8", "kst-hzz6623b5e1a4yl3w2z9"
PLAIN = "50bf61b7-9263-40d4-8faa-6e53c1728f96"  # RSA_2048, SOFTWARE, not migrated
SM4_HSM = "83e294ea-c596-4307-b2dd-9186f4a5bc29"  # HSM, not migrated
ROTATING = "3e9d4f95-7041-4eb2-ad88-4c31af506d74"  # alias/logs, rotation Enabled
DISABLED = "4fae50a6-8152-4fc3-be99-5d42b0617e85"


def key(state: EmulatorState, key_id: str):  # noqa: ANN201
    return state.regions["cn-hangzhou"].keys[key_id]


def test_hsm_key_into_a_software_instance_reports_software_and_new_version_ids() -> None:
    state = EmulatorState.from_inventory(demo())
    hsm = replace(key(state, SM4_HSM).key, key_spec="Aliyun_AES_256")  # an AES HSM key (SM4 is hardware-only)
    key(state, SM4_HSM).key = hsm
    old_versions = list(key(state, SM4_HSM).versions)
    report = state.migrate(instance_id=SOFTWARE, key_ids=[SM4_HSM, PLAIN])
    moved = key(state, SM4_HSM)
    assert (moved.key.dkms_instance_id, moved.key.protection_level) == (SOFTWARE, "SOFTWARE")
    assert len(moved.versions) == len(old_versions) and not set(moved.versions) & set(old_versions)
    assert moved.key.primary_key_version == moved.versions[-1][0] != hsm.primary_key_version
    assert key(state, PLAIN).key.dkms_instance_id == SOFTWARE
    assert [(k["key_id"], k["changed"]) for k in report["keys"]] == [(SM4_HSM, True), (PLAIN, True)]


def test_hsm_key_into_a_hardware_instance_stays_hsm_and_secret_follows_its_key() -> None:
    state = EmulatorState.from_inventory(demo())
    state.migrate(instance_id=HARDWARE, key_ids=[SM4_HSM])
    assert (key(state, SM4_HSM).key.dkms_instance_id, key(state, SM4_HSM).key.protection_level) == (HARDWARE, "HSM")
    secrets = state.regions["cn-hangzhou"].secrets
    state.migrate(instance_id=SOFTWARE, secret_names=["legacy/ftp-password"])  # service-managed key: no precondition
    assert secrets["legacy/ftp-password"].dkms_instance_id == SOFTWARE


def test_migrating_again_into_the_same_instance_is_a_no_op() -> None:
    state = EmulatorState.from_inventory(demo())
    before = key(state, "0b6a1c62-4d1e-4b8f-9a55-1f0e7c2d3a41").versions
    report = state.migrate(instance_id=SOFTWARE, key_ids=["alias/app-data"], secret_names=["app/api-token"])
    assert report["keys"] == [{"key_id": "0b6a1c62-4d1e-4b8f-9a55-1f0e7c2d3a41", "changed": False}]
    assert report["secrets"] == [{"secret_name": "app/api-token", "changed": False}]
    assert key(state, "0b6a1c62-4d1e-4b8f-9a55-1f0e7c2d3a41").versions == before


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"instance_id": "kst-unknown", "key_ids": [PLAIN]}, "not in the emulator's inventory"),
        ({"instance_id": SOFTWARE, "key_ids": [ROTATING]}, "automatic rotation on"),
        ({"instance_id": SOFTWARE, "key_ids": [DISABLED]}, "only Enabled keys"),
        ({"instance_id": SOFTWARE, "key_ids": ["a5040b0c-e7b8-4529-94ff-b3a8b6c7de4b"]}, "not in cn-hangzhou"),
        ({"instance_id": HARDWARE, "key_ids": ["alias/payments"]}, "already in instance"),
        ({"instance_id": SOFTWARE, "secret_names": ["ram/ci-bot"]}, "must be migrated to"),
        ({"instance_id": SOFTWARE, "key_ids": [SM4_HSM]}, "cannot move to a software instance"),
        ({"instance_id": HARDWARE, "key_ids": [PLAIN]}, "cannot move to a hardware instance"),
        ({"instance_id": SOFTWARE, "key_ids": [PLAIN, DISABLED, ROTATING]}, "only Enabled keys.*; .*rotation on"),
    ],
)
def test_refused_migrations_change_nothing(kwargs: dict, fragment: str) -> None:
    state = EmulatorState.from_inventory(demo())
    before = dumps_inventory(without_run_metadata(state.to_inventory()))
    with pytest.raises(MigrationError, match=fragment):
        state.migrate(**kwargs)
    assert dumps_inventory(without_run_metadata(state.to_inventory())) == before


def test_secret_may_move_in_the_same_batch_as_its_key() -> None:
    state = EmulatorState.from_inventory(demo())
    disabled_rotation = replace(key(state, ROTATING).key, automatic_rotation="Disabled", rotation_interval=None)
    key(state, ROTATING).key = disabled_rotation
    state.migrate(instance_id=SOFTWARE, key_ids=[ROTATING], secret_names=["ram/ci-bot"])
    assert state.regions["cn-hangzhou"].secrets["ram/ci-bot"].dkms_instance_id == SOFTWARE


TOKEN = "test-admin-token"


def _admin(url: str, method: str, path: str, payload: object = None, headers: dict[str, str] | None = None
           ) -> tuple[int, object]:
    data = json.dumps(payload).encode() if payload is not None else None
    sent = {"X-Tfkms-Admin-Token": TOKEN} if headers is None else headers
    request = urllib.request.Request(f"{url}{path}", data=data, method=method, headers=sent)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request) as response:
            body = response.read().decode()
            return response.status, json.loads(body)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.usefixtures("kms_env")
def test_admin_migrate_then_inventory_shows_the_before_and_after() -> None:
    with running(demo(), admin_token=TOKEN) as (_, url):
        before = collect_inventory(["cn-hangzhou"], fast_options(url)).regions["cn-hangzhou"]
        status, refused = _admin(
            url, "POST", "/_tfkms/migrate", {"instance_id": SOFTWARE, "key_ids": [SM4_HSM], "secret_names": []}
        )
        assert status == 400 and "cannot move to a software instance" in refused["error"]
        status, report = _admin(url, "POST", "/_tfkms/migrate", {"instance_id": HARDWARE, "key_ids": [SM4_HSM]})
        assert status == 200 and [k["changed"] for k in report["keys"]] == [True]
        status, report = _admin(
            url,
            "POST",
            "/_tfkms/migrate",
            {"instance_id": SOFTWARE, "key_ids": [PLAIN], "secret_names": ["legacy/ftp-password"]},
        )
        assert status == 200
        after = collect_inventory(["cn-hangzhou"], fast_options(url)).regions["cn-hangzhou"]
        status, snapshot = _admin(url, "GET", "/_tfkms/snapshot")
        assert status == 200
    old = {k.key_id: k for k in before.keys}
    new = {k.key_id: k for k in after.keys}
    assert old[PLAIN].dkms_instance_id is None and new[PLAIN].dkms_instance_id == SOFTWARE
    assert (new[SM4_HSM].dkms_instance_id, new[SM4_HSM].protection_level) == (HARDWARE, "HSM")
    assert new[PLAIN].primary_key_version != old[PLAIN].primary_key_version
    assert {s.secret_name: s.dkms_instance_id for s in after.secrets}["legacy/ftp-password"] == SOFTWARE
    keys = {k["key_id"]: k for k in snapshot["regions"]["cn-hangzhou"]["keys"]}
    assert keys[PLAIN]["dkms_instance_id"] == SOFTWARE


def test_admin_routes_reject_bad_requests() -> None:
    with running(demo(), admin_token=TOKEN) as (_, url):
        assert _admin(url, "POST", "/_tfkms/migrate", {"key_ids": [PLAIN]})[0] == 400
        assert _admin(url, "GET", "/_tfkms/nothing")[0] == 404
        status, health = _admin(url, "GET", "/_tfkms/health")
        assert status == 200 and health["regions"] == ["ap-southeast-1", "cn-hangzhou"]


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),  # no token
    ({"X-Tfkms-Admin-Token": "guess"}, 401),
    ({"X-Tfkms-Admin-Token": TOKEN, "Origin": "https://evil.example"}, 403),  # a web page's cross-site POST
    ({"X-Tfkms-Admin-Token": TOKEN, "Sec-Fetch-Site": "cross-site"}, 403),
    ({"X-Tfkms-Admin-Token": TOKEN, "Host": "evil.example"}, 403),  # DNS rebinding: a foreign Host
])
def test_admin_routes_refuse_what_a_browser_or_a_stranger_can_send(headers: dict[str, str], status: int) -> None:
    with running(demo(), admin_token=TOKEN) as (emulator, url):
        before = emulator.state.to_inventory()
        code, answer = _admin(url, "POST", "/_tfkms/migrate", {"instance_id": SOFTWARE, "key_ids": [PLAIN]},
                              headers=headers)
        assert code == status, answer
        assert emulator.state.to_inventory() == before  # nothing migrated


def _raw(url: str, request: bytes) -> bytes:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        return conn.recv(65536)


@pytest.mark.parametrize("length", ["abc", "-1", "99999999999", "1e3"])
def test_a_bad_content_length_is_answered_400_at_once(length: str) -> None:
    with running(demo(), admin_token=TOKEN) as (_, url):
        answer = _raw(url, (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n").encode())
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert b"Traceback" not in answer
