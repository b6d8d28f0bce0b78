resource "alicloud_kms_key" "this" {
  description            = "${var.service} service key"
  pending_window_in_days = var.deletion_days
  dkms_instance_id       = var.dkms_instance_id
}

resource "alicloud_kms_alias" "this" {
  alias_name = "alias/${var.service}"
  key_id     = alicloud_kms_key.this.id
}

resource "alicloud_kms_secret" "db" {
  secret_name       = "${var.service}/db-password"
  secret_data       = var.db_password
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.this.id
  dkms_instance_id  = var.dkms_instance_id
}
