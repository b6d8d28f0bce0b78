variable "service" {
  description = "Service name; used in descriptions, alias and secret names."
  type        = string
}

variable "db_password" {
  type      = string
  sensitive = true
}

variable "deletion_days" {
  type    = number
  default = 7
}

variable "dkms_instance_id" {
  description = "KMS 3.0 instance (kst-...) this module's keys and secrets were migrated into; null until then"
  type        = string
  default     = null
}
