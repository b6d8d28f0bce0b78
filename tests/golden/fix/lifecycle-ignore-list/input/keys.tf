# Tags on this key are managed by the FinOps tagging bot, not by Terraform.
resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7

  lifecycle {
    ignore_changes = [tags]
  }
}

resource "alicloud_kms_key" "billing" {
  description            = "billing exports"
  pending_window_in_days = 30

  lifecycle {
    prevent_destroy = true
    # description is edited in the console by the billing team
    ignore_changes = [
      description,
      tags,
    ]
  }
}
