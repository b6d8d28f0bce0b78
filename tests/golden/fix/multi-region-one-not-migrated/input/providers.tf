terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.231"
    }
  }
}

# China traffic is served from Hangzhou, SEA traffic from Singapore.
provider "alicloud" {
  alias  = "hz"
  region = "cn-hangzhou"
}

provider "alicloud" {
  alias  = "sg"
  region = "ap-southeast-1"
}
