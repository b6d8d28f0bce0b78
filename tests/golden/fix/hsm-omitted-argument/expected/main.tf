terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.245"
    }
  }
}

provider "alicloud" {
  region = "cn-shenzhen"
}

variable "protection_level" {
  description = "Protection level for the payment keys."
  type        = string
  default     = "HSM"
}

# Imported from the console in 2022 (terraform import). Whoever wrote this
# block left protection_level out; the key has always been HSM-backed and now
# lives in the hardware instance.
resource "alicloud_kms_key" "hsm_master" {
  description            = "card vault master key"
  pending_window_in_days = 30
  protection_level       = "HSM"
}

resource "alicloud_kms_key" "payments" {
  description            = "payments settlement key"
  protection_level       = var.protection_level
  pending_window_in_days = 30
}

resource "alicloud_kms_key" "reports" {
  description            = "monthly reports export key"
  pending_window_in_days = 7
}
