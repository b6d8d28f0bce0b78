resource "alicloud_kms_key" "empty" {}

resource "alicloud_kms_key" "named" { description = "named key" }
