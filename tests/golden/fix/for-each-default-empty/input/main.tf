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

# Tenants come from the pipeline's var file; none by default.
variable "tenants" {
  type    = list(string)
  default = []
}

variable "tenant_token" {
  type      = string
  sensitive = true
  default   = null
}

resource "alicloud_kms_secret" "tenant" {
  for_each    = toset(var.tenants)
  secret_name = "tenant/${each.key}/token"
  secret_data = var.tenant_token
  version_id  = "v1"
}
