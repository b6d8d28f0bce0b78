# The value is rotated by the credentials-rotator Function Compute job, so
# Terraform must not push its own copy back.
resource "alicloud_kms_secret" "partner_api" {
  secret_name       = "billing/partner-api-token"
  secret_data       = "initial-placeholder"
  version_id        = "bootstrap"
  encryption_key_id = alicloud_kms_key.billing.id

  lifecycle {
    ignore_changes = [secret_data, version_id]
  }
}
