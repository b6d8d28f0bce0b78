terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.240"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "api_token" {
  type      = string
  sensitive = true
  default   = null
}
