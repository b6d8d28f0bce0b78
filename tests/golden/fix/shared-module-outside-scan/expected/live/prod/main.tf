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

module "db" {
  source = "../../modules/secret"
  name   = "prod/db-password"
  value  = var.secret_value

  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"
}
