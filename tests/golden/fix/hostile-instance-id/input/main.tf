terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.230.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = null
}

resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7
}

resource "alicloud_kms_key" "logs" {
  description            = "log archive key"
  pending_window_in_days = 7
}

resource "alicloud_kms_secret" "db" {
  secret_name = "app/db-password"
  secret_data = var.db_password
  version_id  = "v1"
}
