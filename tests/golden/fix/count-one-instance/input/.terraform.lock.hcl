# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.228.0"
  constraints = "1.228.0"
  hashes = [
    "h1:ovlE1PY3ujsoOzp0nKoF3CVmDFm8yv0EnuUA5W/o7XA=",
    "zh:30a84521a049460119370bd564c89b247a3674d860bfc8fa3e94ff751da74a67",
    "zh:43b4c9f1990d395fefecb318380b46ec45d6556b061b1cca9bdb80f31f874e84",
    "zh:4662c242ef7ae893a6261bef9f7e8c9c2a058898948d70b4c3e8090a07eae39a",
    "zh:4b13611ee49b127dbe32d414319b1f581da46b3b2da9cf45765ef8bc18d59e77",
    "zh:91151617d55082ae93901d405b950a7df67c5d8445285de9c2024c1470bfeab6",
    "zh:91b85d8e273a45d5150e892c1596fe590fd37e220fe523409071a2ce1ba53625",
    "zh:9d0d9078d5dcb6fe0fe57af38cdcb3a074b49d65c1ac85f46356f59f674f915b",
    "zh:d28b0e769dea81a79cd7e374e28596a79d15ce4c195415ace1cb12beb6d4b861",
    "zh:ddebad59564bf84901e51f24604f91521d06a6db35903af75b4486b81d20686d",
    "zh:eb05ac4ff57bc757bc3c3ad19bcbf7848f4759345f88ec9f5595875a60c99047",
    "zh:f2b4883dcafd2c75822e4cad7adb9bad59c7e9c4101be872318f559fb02d0559",
    "zh:f7da78ba49eb1e95d97dbd832b21af609c2bf902745c2c62d87816e33062ad4b",
    "zh:fbda6c97f2616d349eda6e12f5a09886d3d146d2abddbe10be217a9dc2fd7494",
    "zh:ff23b6a8dbc4ba20383697b4e05cce057abea2207796a5a91d22e5d3ca58b61d",
  ]
}
