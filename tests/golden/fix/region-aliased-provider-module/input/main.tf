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

provider "alicloud" {
  alias  = "sh"
  region = "cn-shanghai"
}

# The vault runs in Shanghai.
module "vault" {
  source    = "./modules/vault"
  providers = { alicloud = alicloud.sh }

  token = var.vault_token
}

# The Hangzhou copy of the token, same name, for the Hangzhou workers.
resource "alicloud_kms_secret" "worker_token" {
  secret_name = "vault/token"
  secret_data = var.vault_token
  version_id  = "v1"
}

variable "vault_token" {
  type      = string
  sensitive = true
}
