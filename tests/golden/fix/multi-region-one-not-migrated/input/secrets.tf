resource "alicloud_kms_secret" "cn_session" {
  provider = alicloud.hz

  secret_name       = "${var.app}/session-signing"
  secret_data       = var.session_secret
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.cn_data.id
}

resource "alicloud_kms_secret" "sea_session" {
  provider = alicloud.sg

  secret_name       = "${var.app}/session-signing"
  secret_data       = var.session_secret
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.sea_data.id
}
