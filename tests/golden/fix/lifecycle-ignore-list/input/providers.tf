terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.225"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}
