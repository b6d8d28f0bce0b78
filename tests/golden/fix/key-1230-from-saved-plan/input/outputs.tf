output "checkout_key_id" {
  value = alicloud_kms_key.checkout.id
}

output "webhook_signing_key_arn" {
  value = alicloud_kms_key.webhook_signing.arn
}
