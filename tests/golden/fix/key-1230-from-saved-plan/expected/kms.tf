# Envelope-encryption key for the checkout service. Data keys generated from it
# encrypt card tokens at rest, so losing this key means losing the tokens.
resource "alicloud_kms_key" "checkout" {
  description            = "checkout-${var.env} envelope key"
  key_usage              = "ENCRYPT/DECRYPT"
  pending_window_in_days = 7
  status                 = "Enabled"

  tags = {
    team = "payments"
    env  = var.env
  }
  dkms_instance_id = "kst-hzzrg6y517c6x7ezlyl4n"
}

resource "alicloud_kms_alias" "checkout" {
  alias_name = "alias/checkout-${var.env}"
  key_id     = alicloud_kms_key.checkout.id
}

# Signs webhook payloads sent to merchants (they pin the public key).
resource "alicloud_kms_key" "webhook_signing" {
  description            = "checkout webhook signing"
  key_spec               = "RSA_2048"
  key_usage              = "SIGN/VERIFY"
  pending_window_in_days = 30
  dkms_instance_id       = "kst-hzzrg6y517c6x7ezlyl4n"
}

resource "alicloud_kms_secret" "db" {
  secret_name                   = "checkout/${var.env}/db-password"
  description                   = "RDS password for the checkout service"
  secret_data                   = var.db_password
  version_id                    = "v3"
  encryption_key_id             = alicloud_kms_key.checkout.id
  force_delete_without_recovery = false
  dkms_instance_id              = "kst-hzzrg6y517c6x7ezlyl4n"
}
