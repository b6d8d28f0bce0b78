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

# The team's switch: flip use_kms3 once the migration is done.
variable "use_kms3" {
  type    = bool
  default = false
}

variable "kms3_instance" {
  type    = string
  default = null
}

variable "db_password" {
  type      = string
  sensitive = true
}

resource "alicloud_kms_secret" "db" {
  secret_name      = "app/db-password"
  secret_data      = var.db_password
  version_id       = "v1"
  dkms_instance_id = var.use_kms3 ? var.kms3_instance : null

  lifecycle {
    ignore_changes = [dkms_instance_id]
  }
}
