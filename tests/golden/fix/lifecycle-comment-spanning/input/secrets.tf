resource "alicloud_kms_secret" "api" {
  secret_name = "app/api-token"
  secret_data = var.api_token
  version_id  = "v1"

  lifecycle {
    prevent_destroy = true /* the rotator owns the value:
    ignore_changes  = [secret_data] */
  }
}
