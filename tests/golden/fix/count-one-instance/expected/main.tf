terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "1.228.0"
    }
  }
}

provider "alicloud" {
  region = "cn-zhangjiakou"
}

variable "shards" {
  description = "Kafka topic shards that get their own data key."
  type        = list(string)
  default     = ["clicks", "orders", "payments"]
}

# One key per pipeline shard, numbered by position in var.shards.
# Do not reorder var.shards: count indexes are part of the address.
resource "alicloud_kms_key" "shard" {
  count = length(var.shards)

  description            = "pipeline shard ${var.shards[count.index]}"
  pending_window_in_days = 7
  automatic_rotation     = "Disabled"
  dkms_instance_id       = "kst-zjkzj5lmsxhwz9205sba7"
}

resource "alicloud_kms_secret" "shard_sasl" {
  count = length(var.shards)

  secret_name       = "pipeline/${var.shards[count.index]}/sasl"
  secret_data       = var.sasl_passwords[count.index]
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.shard[count.index].id
  dkms_instance_id  = "kst-zjkzj5lmsxhwz9205sba7"
}

variable "sasl_passwords" {
  type      = list(string)
  sensitive = true
}
