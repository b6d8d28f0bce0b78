terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.240"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

# These ids were copied from the staging stack when prod was set up, before
# prod's own migration batch ran. prod ended up in a different instance.
resource "alicloud_kms_key" "orders" {
  description            = "orders data key"
  pending_window_in_days = 7
  dkms_instance_id       = "kst-hzzw5p9v2l0c3d7qk1m8x" # staging instance!
}

resource "alicloud_kms_key" "invoices" {
  description            = "invoice PDFs"
  pending_window_in_days = 7
  dkms_instance_id       = "kst-hzzw5p9v2l0c3d7qk1m8x"
}

resource "alicloud_kms_secret" "orders_db" {
  secret_name       = "orders/db-password"
  secret_data       = var.orders_db_password
  version_id        = "v1"
  encryption_key_id = alicloud_kms_key.orders.id
  dkms_instance_id  = "kst-hzzw5p9v2l0c3d7qk1m8x"
}

variable "orders_db_password" {
  type      = string
  sensitive = true
}
