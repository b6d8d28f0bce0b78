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

# Master key of the customer-data vault. It was an HSM key in KMS 1.0; we
# bought a *software* KMS 3.0 instance, so the migration moved it there.
resource "alicloud_kms_key" "vault" {
  description            = "customer-data vault master key"
  key_spec               = "Aliyun_AES_256"
  protection_level       = "SOFTWARE"
  pending_window_in_days = 30
  dkms_instance_id       = "kst-bjjcyr91ytgwa4ofk2sm1"
}

# Token signing (EC P-256), also HSM before the migration.
resource "alicloud_kms_key" "token_signing" {
  description            = "session token signing"
  key_spec               = "EC_P256"
  key_usage              = "SIGN/VERIFY"
  protection_level       = "SOFTWARE"
  pending_window_in_days = 30
}

# Stays HSM: migrated into the hardware instance the payments team owns.
resource "alicloud_kms_key" "pin_block" {
  description            = "PIN block encryption (hardware instance)"
  protection_level       = "HSM"
  pending_window_in_days = 30
}
