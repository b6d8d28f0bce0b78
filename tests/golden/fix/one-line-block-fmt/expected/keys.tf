resource "alicloud_kms_key" "empty" {
  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"
}

resource "alicloud_kms_key" "named" {
  description      = "named key"
  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"
}
