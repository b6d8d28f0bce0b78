variable "app" {
  type    = string
  default = "storefront"
}

variable "session_secret" {
  type      = string
  sensitive = true
}
