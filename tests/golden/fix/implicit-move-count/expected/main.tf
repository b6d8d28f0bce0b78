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

variable "audit_token" {
  type      = string
  sensitive = true
}

# count was added after the secret was created: Terraform moves audit to audit[0] by itself.
resource "alicloud_kms_secret" "audit" {
  count       = 1
  secret_name = "audit/token"
  secret_data = var.audit_token
  version_id  = "v1"

  dkms_instance_id = "kst-hzz65f176a0ogplgq4ehe"
}
