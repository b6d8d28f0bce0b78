terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = "~> 1.230.0"
    }
  }
}

provider "alicloud" {
  region = "cn-shenzhen"
}

# Shared key from the community module (pinned). Its code lives under
# .terraform/modules/kms after `terraform init` and is not ours to edit.
module "kms" {
  source  = "terraform-alicloud-modules/kms/alicloud"
  version = "1.3.0"

  name                   = "media-transcode"
  description            = "media transcoding outputs"
  pending_window_in_days = 14
}

# Our own key, next to it.
resource "alicloud_kms_key" "thumbnails" {
  description            = "thumbnail cache"
  pending_window_in_days = 7
  dkms_instance_id       = "kst-szzn8bubq8a57euoqa2n4"
}
