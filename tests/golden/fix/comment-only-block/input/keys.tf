resource "alicloud_kms_key" "app" { /* every argument is left to
  the provider's defaults */
}
