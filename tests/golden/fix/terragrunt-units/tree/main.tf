terraform {
  required_providers {
    alicloud = {
      source = "aliyun/alicloud"
    }
  }
}

variable "name" {
  type = string
}

variable "owner" {
  type = string
}

variable "team" {
  type    = string
  default = "none"
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "placeholder"
}

resource "alicloud_kms_key" "this" {
  description            = "${var.name} key"
  pending_window_in_days = 7
  tags = {
    owner = var.owner
    team  = var.team
  }
}

resource "alicloud_kms_secret" "this" {
  secret_name = "${var.name}/db"
  secret_data = var.db_password
  version_id  = "v1"
}
