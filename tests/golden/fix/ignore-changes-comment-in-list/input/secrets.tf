resource "alicloud_kms_secret" "api" {
  secret_name = "app/api-token"
  secret_data = var.api_token
  version_id  = "v1"

  lifecycle {
    ignore_changes = [
      tags, /* legacy: owner and team
      tags are set by the tagging job */
    ]
  }
}

resource "alicloud_kms_secret" "partner" {
  secret_name = "app/partner-token"
  secret_data = var.api_token
  version_id  = "v1"

  lifecycle {
    ignore_changes = [tags # owner, team
    ]
  }
}

resource "alicloud_kms_secret" "billing" {
  secret_name = "app/billing-token"
  secret_data = var.api_token
  version_id  = "v1"

  lifecycle {
    ignore_changes = [tags /* owner, team */]
  }
}
