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

# Off by default; production plans with -var-file=prod.tfvars (enabled = true).
variable "enabled" {
  type    = bool
  default = false
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = null
}

resource "alicloud_kms_secret" "db" {
  count       = var.enabled ? 1 : 0
  secret_name = "app/db-password"
  secret_data = var.db_password
  version_id  = "v1"
}
