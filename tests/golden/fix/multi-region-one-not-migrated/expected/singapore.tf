# Singapore has not been migrated yet (no KMS instance bought in
# ap-southeast-1 so far). TODO(sea-infra): revisit after Q3 budget review.
resource "alicloud_kms_key" "sea_data" {
  provider = alicloud.sg

  description            = "${var.app} SEA data key"
  pending_window_in_days = 7
}
