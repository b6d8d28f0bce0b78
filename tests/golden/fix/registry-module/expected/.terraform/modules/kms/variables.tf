variable "create_kms" {
  description = "Whether to create the KMS key."
  type        = bool
  default     = true
}

variable "name" {
  description = "Value of the Name tag."
  type        = string
  default     = "tf-kms"
}

variable "description" {
  description = "The description of the key."
  type        = string
  default     = "From Terraform"
}

variable "key_usage" {
  description = "Usage of the key: ENCRYPT/DECRYPT or SIGN/VERIFY."
  type        = string
  default     = "ENCRYPT/DECRYPT"
}

variable "pending_window_in_days" {
  description = "Days before a scheduled deletion takes effect (7-366)."
  type        = number
  default     = 30
}

variable "status" {
  description = "Enabled, Disabled or PendingDeletion."
  type        = string
  default     = "Enabled"
}

variable "automatic_rotation" {
  description = "Enabled or Disabled."
  type        = string
  default     = "Disabled"
}

variable "rotation_interval" {
  description = "Rotation period, e.g. 365d. Only used when automatic_rotation is Enabled."
  type        = string
  default     = null
}

variable "protection_level" {
  description = "SOFTWARE or HSM."
  type        = string
  default     = "SOFTWARE"
}

variable "alias_name" {
  description = "Alias to create, e.g. alias/app. Empty: no alias."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}
