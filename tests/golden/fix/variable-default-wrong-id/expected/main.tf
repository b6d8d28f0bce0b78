terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.230"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "kms_instance" {
  description = "KMS 3.0 instance the keys live in"
  type        = string
  default     = "kst-hzz65f176a0ogplgq4ehe"
}

resource "alicloud_kms_key" "app" {
  description      = "app key"
  dkms_instance_id = var.kms_instance
}
