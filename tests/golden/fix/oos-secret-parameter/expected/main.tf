terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.241.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "ci_token" {
  type      = string
  sensitive = true
}

# Encrypts the OOS secret parameters below; migrated into a KMS 3.0 instance with them.
resource "alicloud_kms_key" "params" {
  description            = "OOS secret parameters"
  pending_window_in_days = 7
}

# Read by the nightly backup template.
resource "alicloud_oos_secret_parameter" "db_password" {
  secret_parameter_name = "backup/db-password"
  value                 = var.db_password
  type                  = "Secret"
  key_id                = alicloud_kms_key.params.id
  description           = "RDS backup user"
  dkms_instance_id      = "kst-hzz65f176a0ogplgq4ehe"
}

# Pipelines read it with the default OOS key; tags are set by the FinOps bot.
resource "alicloud_oos_secret_parameter" "ci_token" {
  secret_parameter_name = "ci/deploy-token"
  value                 = var.ci_token
  type                  = "Secret"
  dkms_instance_id      = "kst-hzz65f176a0ogplgq4ehe"

  lifecycle {
    ignore_changes = [tags]
  }
}

# Already written by hand after the migration: nothing to do.
resource "alicloud_oos_secret_parameter" "smtp_password" {
  secret_parameter_name = "mail/smtp-password"
  value                 = var.db_password
  key_id                = alicloud_kms_key.params.id
  dkms_instance_id      = "kst-hzz65f176a0ogplgq4ehe"
}
