terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.230.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

# Patched by hand after the KMS 3.0 migration (CHG-4471). Nothing left to do:
# a tool run on this directory must not change a single byte.
resource "alicloud_kms_key" "app" {
  description            = "app key"
  pending_window_in_days = 7
  dkms_instance_id       = "kst-hzzw5p9v2l0c3d7qk1m8x"
}

# Was HSM in KMS 1.0, landed in the software instance.
resource "alicloud_kms_key" "signing" {
  description            = "JWT signing"
  key_spec               = "EC_P256"
  key_usage              = "SIGN/VERIFY"
  protection_level       = "SOFTWARE"
  pending_window_in_days = 30
  dkms_instance_id       = "kst-hzzw5p9v2l0c3d7qk1m8x"
}

locals {
  # null = still on KMS 1.0 (sandbox is out of scope for the migration)
  env_instance = {
    prod    = "kst-hzzw5p9v2l0c3d7qk1m8x"
    staging = "kst-hzzq8r3n6b1t4y0vj2e5a"
    sandbox = null
  }
}

resource "alicloud_kms_key" "env" {
  for_each = local.env_instance

  description            = "${each.key} data key"
  pending_window_in_days = 7
  dkms_instance_id       = each.value
}

resource "alicloud_kms_secret" "db" {
  secret_name       = "app/db-password"
  secret_data       = var.db_password
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.app.id

  lifecycle {
    ignore_changes = [dkms_instance_id]
  }
}

variable "db_password" {
  type      = string
  sensitive = true
}
