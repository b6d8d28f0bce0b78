# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.170.0"
  constraints = "1.170.0"
  hashes = [
    "h1:5Om3eO4FLt1awlKSPxMKxkWiuY5Uvcpra3u85FLqJT8=",
    "zh:51b6f362bf10571254ed25be8492d5be0e0268b2ff6d30926b52c8c925e9c6a0",
    "zh:57de5068cc33033c635f5bf5af2cc326075860db16fcfb9f488495f8cb38d7e8",
    "zh:5d1ea76dfd15245f211bc994662b2b22b7cb44e693b19cd65253ae280e498226",
    "zh:6227454f91ebcb7a401ad2f5a9a095a3e4704c9aa1e4e346f3588cd749998de3",
    "zh:8268d1df57431f44011ea8e04260b3719b750215a2e1de9828792b5a09b9c263",
    "zh:8d33ce523ab03460cb65d48869e6ed9a04a6e81957e71bf983377b3d796d043e",
    "zh:9906993a2bd307ff71b92a0570aa84929b08004bedf4f0585e9bb6f38d49668b",
    "zh:c05f330244aa56eb29de5e751f9f20d62ddf78a750aa46fbf8195f4376a0d3e9",
    "zh:d2550ffe40286beb343f0dc1475963836c1cb58d6c03e85f82016d02436fbb37",
    "zh:d30d2b399d7f1be7e5bd4b01ffa2fa2f4d7485fc3f0a491eb332c596b94830e4",
    "zh:d3a7e0f8ef860643727cd78fc4bc1e32dfb1af9fc33713b02a91d68edcfca2fb",
    "zh:ddcdbd6422a1b62914183853ec33c76cacc595dc84ea1c29923d515cfe412b1f",
    "zh:e256cf60f8ed6c4b33fefacc591b38323de7487105cee0d18063309d7f35681e",
    "zh:eb8c3d3d58de814065db8b3e82fe157ab25be0e326903e53dd6a322a56eb491c",
  ]
}
