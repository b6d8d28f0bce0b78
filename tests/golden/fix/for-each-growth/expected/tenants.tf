variable "tenants" {
  description = "One envelope key per SaaS tenant. Keys are tenant names."
  type = map(object({
    description   = string
    deletion_days = number
  }))
}

# Tenant keys. acme and globex were migrated in two batches (different KMS
# instances); initech is on the dedicated-region roadmap and stays on KMS 1.0
# for now.
resource "alicloud_kms_key" "tenant" {
  for_each = var.tenants

  description            = each.value.description
  pending_window_in_days = each.value.deletion_days

  tags = {
    tenant = each.key
  }
  dkms_instance_id = lookup({
    "acme"    = "kst-hzzqfghacizu6kgh8xc8l"
    "globex"  = "kst-hzzg9l37bthvt6vxeufcj"
    "initech" = null
  }, each.key, null)
}

resource "alicloud_kms_alias" "tenant" {
  for_each = var.tenants

  alias_name = "alias/tenant-${each.key}"
  key_id     = alicloud_kms_key.tenant[each.key].id
}
