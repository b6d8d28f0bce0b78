"""Batch plan: at most 50 keys and 50 secrets per batch and region; a secret never precedes its key."""
from __future__ import annotations

from tfkms.analysis.batches import plan_batches


def test_limits_and_order() -> None:
    keys = [(f"alicloud_kms_key.k[{i}]", "cn-hangzhou") for i in range(120)] + [("alicloud_kms_key.sg", "ap-southeast-1")]
    secrets = [(f"alicloud_kms_secret.s{i:03d}", "cn-hangzhou", "alicloud_kms_key.k") for i in range(60)]
    secrets += [("alicloud_kms_secret.late", "cn-hangzhou", "alicloud_kms_key.k[119]"),
                ("alicloud_kms_secret.free", "cn-hangzhou", None)]
    batches = plan_batches(keys, secrets)
    hz = [b for b in batches if b.region == "cn-hangzhou"]
    assert [len(b.keys) for b in hz] == [50, 50, 20, 0]  # secrets overflowing batch 3 get a batch of their own
    assert [len(b.secrets) for b in hz] == [1, 0, 50, 11]
    assert all(len(b.secrets) <= 50 for b in batches)
    where = {s: b.number for b in hz for s in b.secrets}
    assert where["alicloud_kms_secret.late"] == 3  # its key is in batch 3
    assert all(where[f"alicloud_kms_secret.s{i:03d}"] == 3 or where[f"alicloud_kms_secret.s{i:03d}"] > 3
               for i in range(60))  # keys of k[*] reach batch 3: secrets go there or later
    assert where["alicloud_kms_secret.free"] == 1
    assert [(b.region, b.number, b.keys) for b in batches if b.region == "ap-southeast-1"] == [
        ("ap-southeast-1", 1, ["alicloud_kms_key.sg"])]
    assert sum(len(b.secrets) for b in hz) == 62
