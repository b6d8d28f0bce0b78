# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.231.0"
  constraints = "~> 1.231"
  hashes = [
    "h1:5MJI2cqMsUYSIij3+edrGZlIpuM8hTZwUs0VZv0nZzI=",
    "zh:1459fc12fe83aa1f34e0cf87d74658f238131bb3cd9aa51d14ab30510320fb18",
    "zh:254f624f4df1590ae33f641cd71f36a968a16b681dcb29c42c2e1ebbd544f7be",
    "zh:2e875b23ac76b6ac560b468aefd5dd16bc13c72e9a91daaf65d474e957765506",
    "zh:410a2b50e1e27ca5418b2d19fdece1fbe6b359a150521a2a089956b5c20903da",
    "zh:52032f9c2cd450389007f11843ccdf104105b020dd875877c0e9e17889180888",
    "zh:5eb18a7f8693fdc1ddd7470af6f4c667f082c919098a89f1dd922a09a29bf66b",
    "zh:6b5d884e9b7a64fd46131c5606e8eafda88a7827dc092ae089604ee6d8bb04b9",
    "zh:7025172e07c87e324501d2c24cb9779602caaffcd5c47631ff5eb596e952473e",
    "zh:7cec666b3679ab94a640a371bcf24d46b056dd9a33cd9d4cc7bccb3e8aecca57",
    "zh:b2bbccf2915eb8718a3a4055428a68bcba1a194c45ae7fad85574281dd1603ed",
    "zh:ba62600d393470fd3d2af996cc300c90911d14df0f352fa07dd6d24d79caf0bd",
    "zh:bc2175727034f36c83b432bf6eb76a5f84025123f34462b3c46378e6cad483ac",
    "zh:ceb7b9ceef531cc47622bfcc46861f36d3e56ae9e6203a7bc79edd623fc38805",
    "zh:f43a0316cf05fb2b5b63ab40cae6d029d7047d630a574b6bcec9aca19beffe1f",
  ]
}
