variable "name" {
  type = string
}

variable "value" {
  type      = string
  sensitive = true
}

# The module's own input for the KMS 3.0 instance; null keeps the secret in KMS 1.0.
variable "dkms_instance_id" {
  type    = string
  default = null
}

resource "alicloud_kms_secret" "this" {
  secret_name      = var.name
  secret_data      = var.value
  version_id       = "v1"
  dkms_instance_id = var.dkms_instance_id
}
