terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.240.0"
    }
  }

  backend "oss" {
    bucket = "acme-tfstate-hz"
    prefix = "platform/secrets"
    region = "cn-hangzhou"
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

locals {
  owner = "platform-team"
}

# One key per data domain; secrets below are sealed with the shared one.
resource "alicloud_kms_key" "shared" {
  description            = "platform shared secrets key"
  pending_window_in_days = 14
  tags = {
    owner = local.owner
  }
}

resource "alicloud_kms_key" "audit_logs" {
  description            = "SLS audit log encryption"
  pending_window_in_days = 30
  protection_level       = "SOFTWARE"
}

resource "alicloud_kms_secret" "grafana_admin" {
  secret_name       = "platform/grafana-admin"
  secret_data       = var.grafana_admin_password
  version_id        = "2024-06-01"
  encryption_key_id = alicloud_kms_key.shared.id
  description       = "Grafana admin login"
  dkms_instance_id  = "kst-hzzw5p9v2l0c3d7qk1m8x"
}

# Datadog API key, rotated by hand every quarter (bump version_id).
resource "alicloud_kms_secret" "datadog_api_key" {
  secret_name = "platform/datadog-api-key"
  secret_data = var.datadog_api_key
  version_id  = "q3-2024"

  dkms_instance_id = "kst-hzzw5p9v2l0c3d7qk1m8x"
}

variable "grafana_admin_password" {
  type      = string
  sensitive = true
}

variable "datadog_api_key" {
  type      = string
  sensitive = true
}
