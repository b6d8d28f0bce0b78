# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.244.0"
  constraints = "~> 1.240"
  hashes = [
    "h1:uCg7tcWMMxsWIlrZ+IT+m9Yh3j6Paf0WCJG7ziJnw6Q=",
    "zh:031ca17e2d366768abf790410684dfbfcca8838ab4c1385947b3db4fa7bcd4fe",
    "zh:1adc07aeb944f8de7dcca329ed7f7cb5258b4120c2fe8fad6c2f4a0dcc60a61a",
    "zh:2450c8f8fd12335754ed962206361e9dc3fe048899b5e4cdfddce99784590b0d",
    "zh:33eb2070e72b2eff7d6188d35a9a365f405f2bc77548e690bcd8ef41a99aebdf",
    "zh:3b46fcfb6a50cd521a996fc9a2c379a3d839228e40cb848c164e89a510c23871",
    "zh:43a57feea81596c7288f14443e80f8e9777376d2bc31aa12b311f70cc8e5294c",
    "zh:8884818f71a4fbcc333acb7f1dd0c6856cc3b55046c33a844cd93dcce0784f97",
    "zh:a839919e6c701d3757da53a8df0e6088df9f2902d158f0725bfaa0f347b2f4d9",
    "zh:abd01c1343720558498bf6308070ef7e205686ccf74b52f4ced873d9abcff6ca",
    "zh:afc67f964c117a8b812c7a2f0314e9e27203a94cfeb7d983feb07bf06f5d13ef",
    "zh:b55240830444347def6ac4de292105b92c82aa34cc61cf2884668357126008c7",
    "zh:cd6e971ec4451e3aca75fdf11ca89b9f8f0dcb5a18b97599091d87f168726485",
    "zh:ef2752c19ca783c0ef321ccafe09ba9e6ca67a31cf929342e4e119f783d9d1bc",
    "zh:f42ff5d2c91bf1846869dbbbd46005ee03f5c5002733498b6adf01209693b918",
  ]
}
