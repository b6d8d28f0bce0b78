resource "alicloud_kms_key" "copy" {
  description = "a copy Terragrunt made"
}

resource "alicloud_kms_secret" "copy" {
  secret_name = "copy"
  secret_data = "x"
  version_id  = "v1"
}
