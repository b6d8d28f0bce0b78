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

resource "alicloud_kms_key" "secrets" {
  description            = "secrets encryption key"
  pending_window_in_days = 7
}

resource "alicloud_kms_alias" "secrets" {
  alias_name = "alias/app-secrets"
  key_id     = alicloud_kms_key.secrets.id
}

# Created without encryption_key_id (KMS picked the default key at the time).
# The instance id was already added by hand after the migration.
resource "alicloud_kms_secret" "db" {
  secret_name      = "app/db-password"
  secret_data      = var.db_password
  version_id       = "v1"
  dkms_instance_id = "kst-hzzw5p9v2l0c3d7qk1m8x"

  encryption_key_id = "key-hzzde4q3cfvfvn5u6syf4"
}

# Uses the alias name; DescribeSecret reports the key id.
resource "alicloud_kms_secret" "api" {
  secret_name       = "app/api-token"
  secret_data       = var.api_token
  version_id        = "v1"
  encryption_key_id = "alias/app-secrets"
  dkms_instance_id  = "kst-hzzw5p9v2l0c3d7qk1m8x"

  lifecycle {
    ignore_changes = [encryption_key_id]
  }
}

resource "alicloud_kms_secret" "token" {
  secret_name       = "app/signing-token"
  secret_data       = var.api_token
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.secrets.id
  dkms_instance_id  = "kst-hzzw5p9v2l0c3d7qk1m8x"
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "api_token" {
  type      = string
  sensitive = true
}
