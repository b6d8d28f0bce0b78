variable "region" {
  description = "Region of the checkout stack."
  type        = string
  default     = "cn-hangzhou"
}

variable "env" {
  type    = string
  default = "prod"
}

variable "db_password" {
  description = "Injected by the pipeline (TF_VAR_db_password), never committed."
  type        = string
  sensitive   = true
}
