terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.240.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "secret_value" {
  type      = string
  sensitive = true
}

module "app" {
  source = "./modules/secret"
  name   = "app/db-password"
  value  = var.secret_value

  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"
}

module "billing" {
  source = "./modules/secret"
  name   = "billing/api-token"
  value  = var.secret_value

  dkms_instance_id = "kst-hzz9b7c2d4e6f8a0b1c3d5e"
}
