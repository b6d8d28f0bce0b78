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
}

module "billing" {
  source = "./modules/secret"
  name   = "billing/api-token"
  value  = var.secret_value
}
