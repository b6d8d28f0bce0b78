terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.230.0"
    }
  }
}

provider "alicloud" {
  region = "cn-shanghai"
}

# Adopted with terraform import; Terraform only tracks it, the security team
# owns every setting. Do not "fix" this block.
resource "alicloud_kms_key" "legacy_sso" {
  description = "SSO assertion key (adopted)"

  lifecycle {
    ignore_changes = all
  }
}

resource "alicloud_kms_key" "app" {
  description            = "app data key"
  pending_window_in_days = 7
  dkms_instance_id       = "kst-shhp281ns083pdjgwxi9e"

  lifecycle {
    prevent_destroy = true
  }
}

resource "alicloud_kms_secret" "sso_client" {
  secret_name = "sso/client-secret"
  secret_data = var.sso_client_secret
  version_id  = "v1"

  lifecycle {
    create_before_destroy = false
    ignore_changes        = all
  }
}

variable "sso_client_secret" {
  type      = string
  sensitive = true
}
