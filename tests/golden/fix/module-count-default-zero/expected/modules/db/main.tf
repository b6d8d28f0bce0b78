terraform {
  required_providers {
    alicloud = {
      source = "aliyun/alicloud"
    }
  }
}

variable "password" {
  type      = string
  sensitive = true
}

resource "alicloud_kms_key" "db" {
  description            = "app key"
  pending_window_in_days = 7
}

resource "alicloud_kms_secret" "password" {
  secret_name       = "db/password"
  secret_data       = var.password
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.db.id
  dkms_instance_id  = "kst-hzz65f176a0ogplgq4ehe"
}
