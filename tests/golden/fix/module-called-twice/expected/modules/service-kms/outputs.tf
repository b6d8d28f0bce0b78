output "key_id" {
  value = alicloud_kms_key.this.id
}

output "secret_name" {
  value = alicloud_kms_secret.db.secret_name
}
