terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.232.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}
