# Audit trail signing key. Created as HSM in 2021 for the MLPS level-3
# assessment; KMS moved it into the software instance kst-shh... during the
# 3.0 migration.
resource "alicloud_kms_key" "audit" {
  description            = "audit trail HSM key"
  protection_level       = "SOFTWARE"
  pending_window_in_days = 30
}

resource "alicloud_kms_key" "app" {
  description            = "app data key"
  pending_window_in_days = 7
}

resource "alicloud_kms_alias" "app" {
  alias_name = "alias/app-data"
  key_id     = alicloud_kms_key.app.id
}

resource "alicloud_kms_secret" "smtp" {
  secret_name       = "mail/smtp-password"
  secret_data       = var.smtp_password
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.app.id
}

variable "smtp_password" {
  type      = string
  sensitive = true
}
