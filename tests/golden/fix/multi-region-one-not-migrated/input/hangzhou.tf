# Migrated to KMS 3.0 in batch 1 (2025-05-20).
resource "alicloud_kms_key" "cn_data" {
  provider = alicloud.hz

  description            = "${var.app} CN data key"
  pending_window_in_days = 7
}

resource "alicloud_kms_alias" "cn_data" {
  provider = alicloud.hz

  alias_name = "alias/${var.app}-data"
  key_id     = alicloud_kms_key.cn_data.id
}
