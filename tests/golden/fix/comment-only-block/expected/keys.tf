resource "alicloud_kms_key" "app" { /* every argument is left to
  the provider's defaults */
  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"
}
