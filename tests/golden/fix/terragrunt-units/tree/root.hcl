remote_state {
  backend = "oss"
  config = {
    bucket = "tf-state"
    prefix = "${path_relative_to_include()}"
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<EOF
provider "alicloud" {
  region = "cn-hangzhou"
}
EOF
}

inputs = {
  owner = "platform"
  team  = "shared"
}
