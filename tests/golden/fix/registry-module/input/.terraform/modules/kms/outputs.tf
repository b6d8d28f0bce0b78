output "this_key_id" {
  description = "The ID of the KMS key."
  value       = concat(alicloud_kms_key.this[*].id, [""])[0]
}

output "this_key_arn" {
  description = "The ARN of the KMS key."
  value       = concat(alicloud_kms_key.this[*].arn, [""])[0]
}
