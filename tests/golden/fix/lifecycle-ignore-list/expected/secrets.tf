# The value is rotated by the credentials-rotator Function Compute job, so
# Terraform must not push its own copy back.
resource "alicloud_kms_secret" "partner_api" {
  secret_name       = "billing/partner-api-token"
  secret_data       = "initial-placeholder"
  version_id        = "bootstrap"
  encryption_key_id = alicloud_kms_key.billing.id
  dkms_instance_id  = "kst-hzzw5p9v2l0c3d7qk1m8x"

  lifecycle {
    ignore_changes = [secret_data, version_id]
  }
}
