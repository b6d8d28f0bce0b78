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

variable "enabled" {
  type    = bool
  default = false
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = null
}

# The database stack is off by default; production enables it in its var file.
module "db" {
  count    = var.enabled ? 1 : 0
  source   = "./modules/db"
  password = var.db_password
}
