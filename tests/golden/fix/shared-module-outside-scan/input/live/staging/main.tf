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

# Another caller of the shared module; not scanned in this run (not migrated yet).
module "db" {
  source = "../../modules/secret"
  name   = "staging/db-password"
  value  = var.secret_value
}
