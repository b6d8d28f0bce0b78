terraform {
  required_providers {
    alicloud = {
      source = "aliyun/alicloud"
    }
  }
}

resource "alicloud_kms_secret" "db" {
  for_each    = toset(["primary"])
  secret_name = "app/db-${each.key}"
  secret_data = "CANARY-s3cr3t-7f3a9"
  version_id  = "v1"
}

# Was a single secret before for_each.
moved {
  from = alicloud_kms_secret.db_primary
  to   = alicloud_kms_secret.db["primary"]
}
