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
}
