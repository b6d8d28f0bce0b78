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

# Renamed from "app" during the platform refactor.
resource "alicloud_kms_key" "application" {
  description = "app key"
}

moved {
  from = alicloud_kms_key.app
  to   = alicloud_kms_key.application
}

module "secrets" {
  source = "./modules/secrets"
}
