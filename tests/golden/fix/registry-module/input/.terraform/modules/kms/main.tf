resource "alicloud_kms_key" "this" {
  count = var.create_kms ? 1 : 0

  description            = var.description
  key_usage              = var.key_usage
  pending_window_in_days = var.pending_window_in_days
  status                 = var.status
  automatic_rotation     = var.automatic_rotation
  rotation_interval      = var.rotation_interval
  protection_level       = var.protection_level
  tags = merge(
    {
      Name = var.name
    },
    var.tags,
  )
}

resource "alicloud_kms_alias" "this" {
  count = var.create_kms && var.alias_name != "" ? 1 : 0

  alias_name = var.alias_name
  key_id     = alicloud_kms_key.this[0].id
}
