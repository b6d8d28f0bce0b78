# Pinned since 2022: the upgrade to a newer alicloud provider is tracked in
# INFRA-2291 (ECS disk changes need a state migration first).
terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "1.170.0"
    }
  }
}

provider "alicloud" {
  region = "cn-shanghai"
}
