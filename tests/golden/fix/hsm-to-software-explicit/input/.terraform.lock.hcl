# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.242.0"
  constraints = "~> 1.240"
  hashes = [
    "h1:Yc9ARNqujgK8y+4C9kLuBblJwOvPQi6eOdkhnptsTSY=",
    "zh:062eaee641ba3a82891be8ec500b41e8c88d5d43c21f6ca19842788c6476ee0b",
    "zh:12f67eae89d5b6e3dda2c3137140567a9c7765aa3a543a2696720c261d3e4c93",
    "zh:19000d865449eaf8ba05761e55331aefe762389481ce1898241128f384239d8d",
    "zh:62d6b010638d008c1fd5cdb1b97a36bc6a37cf74365bb3857db54ddd708d041b",
    "zh:6592a1cee1408a4e23621d46cffb1539eb940cf57ccfafdabb3142f718bcdc25",
    "zh:70856c3d0e93cd3ca51a409d3ca077ae85a60072098590e554d8862d438f155d",
    "zh:756bd59fe14a8b99ebfdd4cd9cf7fbeefd7513d9e24c1a0032bda183243c39f6",
    "zh:86b9d9f912b36832e0cc2c6564119fc49a86e24936aff09250ce7c27ee1ee7a9",
    "zh:a784189e182c6fb63f1e7112d8a4d6bcaae395020dc8988998fc4fa8ecaa34c3",
    "zh:ad7500f84942f4264b7a35ae4a66e12d77a5742c5897ba5b143856929831af26",
    "zh:afd8c66f607840e948dbfc0d02e7a0f73cb78ba9ffa9a56aee27e71522c54575",
    "zh:c002a6e5efa5f95c83ae4b16a55cbd127acf0756012792b379aadcc5e0507215",
    "zh:c8dac1daff9798db971ff40f4f7ce851b75d9fb2175912a9d6804adb2ba25112",
    "zh:d6879ad637c249435e3984cf5129d0387d8dc27f23ee10dbff7b0c318181d6b9",
  ]
}
