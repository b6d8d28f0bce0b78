provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.230.0"
  constraints = "~> 1.230"
}
