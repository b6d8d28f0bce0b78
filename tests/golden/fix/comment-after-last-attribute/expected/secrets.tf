# The API token; its rotation block was disabled while the rotator is rebuilt.
resource "alicloud_kms_secret" "api" {
  secret_name = "app/api-token"
  secret_data = var.api_token
  version_id  = "v1" /* rotation is off until the rotator is rebuilt:
  tags = {
    rotation = "weekly"
  } */

  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"
}

# Same, with a live nested block after the commented-out one.
resource "alicloud_kms_secret" "partner" {
  secret_name = "app/partner-token"
  secret_data = var.api_token
  version_id  = "v1" /* old tags:
  tags = {
    team = "partners"
  } */

  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"

  lifecycle {
    ignore_changes = [secret_data]
  }
}
