# Tags on this key are managed by the FinOps tagging bot, not by Terraform.
resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7
  dkms_instance_id       = "kst-hzzw5p9v2l0c3d7qk1m8x"

  lifecycle {
    ignore_changes = [tags]
  }
}

resource "alicloud_kms_key" "billing" {
  description            = "billing exports"
  pending_window_in_days = 30
  dkms_instance_id       = "kst-hzzw5p9v2l0c3d7qk1m8x"

  lifecycle {
    prevent_destroy = true
    # description is edited in the console by the billing team
    ignore_changes = [
      description,
      tags,
    ]
  }
}
