terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.240"
    }
  }
}

provider "alicloud" {
  region = "cn-beijing"
}

# Rotation had to be switched off for the migration (vendor guide). The
# security team switched it back on in the console afterwards, with their own
# intervals, and wants Terraform to keep its hands off it.
resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7
  automatic_rotation     = "Disabled" # TODO: turn back on after migration
}

resource "alicloud_kms_key" "reports" {
  description            = "reports key"
  pending_window_in_days = 7
  automatic_rotation     = "Enabled"
  rotation_interval      = "7d"
}

resource "alicloud_kms_secret" "db" {
  secret_name               = "app/db-password"
  secret_data               = var.db_password
  version_id                = "v1"
  encryption_key_id         = alicloud_kms_key.app.id
  dkms_instance_id          = "kst-bjjcyr91ytgwa4ofk2sm1"
  enable_automatic_rotation = false
}

resource "alicloud_kms_secret" "cache" {
  secret_name       = "app/redis-auth"
  secret_data       = var.db_password
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.app.id
}

variable "db_password" {
  type      = string
  sensitive = true
}
