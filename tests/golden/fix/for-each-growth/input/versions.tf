terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.230.0, < 1.235.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}
