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

variable "kms_instance" {
  type = string
}

variable "db_password" {
  type      = string
  sensitive = true
}

resource "alicloud_kms_secret" "db" {
  secret_name      = "app/db-password"
  secret_data      = var.db_password
  version_id       = "v1"
  dkms_instance_id = var.kms_instance
}

resource "alicloud_kms_secret" "cache" {
  secret_name      = "app/cache-password"
  secret_data      = var.db_password
  version_id       = "v1"
  dkms_instance_id = var.kms_instance
}
