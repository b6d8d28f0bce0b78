"""The alicloud resource types tfkms reasons about."""

KEY_TYPE = "alicloud_kms_key"
SECRET_TYPE = "alicloud_kms_secret"
ALIAS_TYPE = "alicloud_kms_alias"
