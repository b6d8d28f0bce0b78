terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.240"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

# The Hangzhou stack. Shanghai runs its own copy of this service, with a
# secret of the same name, migrated into the Shanghai instance.
resource "alicloud_kms_secret" "db_password" {
  secret_name = "db-password"
  secret_data = var.db_password
  version_id  = "v1"

  dkms_instance_id = "kst-hzzp3m7c1v9x2b5n8q4wd"
}

variable "db_password" {
  type      = string
  sensitive = true
}
