variable "name" {
  type = string
}

variable "value" {
  type      = string
  sensitive = true
}

resource "alicloud_kms_secret" "this" {
  secret_name = var.name
  secret_data = var.value
  version_id  = "v1"

  dkms_instance_id = var.dkms_instance_id
}

variable "dkms_instance_id" {
  description = "KMS 3.0 instance (kst-...) this module's keys and secrets were migrated into; null until then"
  type        = string
  default     = null
}
