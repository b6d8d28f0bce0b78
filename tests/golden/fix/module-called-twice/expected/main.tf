terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.230.0"
    }
  }
}

provider "alicloud" {
  region = "cn-hangzhou"
}

# Each service gets its own key + DB secret through the same module.
# payments and orders were migrated into different KMS instances (payments
# has its own hardware-backed budget line, orders shares the platform one).
module "payments" {
  source = "./modules/service-kms"

  service     = "payments"
  db_password = var.payments_db_password

  dkms_instance_id = "kst-hzzgnqflgnhl9l5ek9zlu"
}

module "orders" {
  source = "./modules/service-kms"

  service       = "orders"
  db_password   = var.orders_db_password
  deletion_days = 30

  dkms_instance_id = "kst-hzzo54p5739d1lcl988o6"
}

variable "payments_db_password" {
  type      = string
  sensitive = true
}

variable "orders_db_password" {
  type      = string
  sensitive = true
}

output "payments_key_id" {
  value = module.payments.key_id
}
