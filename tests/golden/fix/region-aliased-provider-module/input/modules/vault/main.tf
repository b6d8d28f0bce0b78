variable "token" {
  type      = string
  sensitive = true
}

resource "alicloud_kms_key" "vault" {
  description            = "vault seal key"
  pending_window_in_days = 7
}

resource "alicloud_kms_secret" "token" {
  secret_name       = "vault/token"
  secret_data       = var.token
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.vault.id
}
