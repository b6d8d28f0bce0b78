# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.225.1"
  constraints = "~> 1.225"
  hashes = [
    "h1:TbZc2ELITOpGaxYPbygEGWNAcSYlsHcH94ThHi59Z+8=",
    "zh:22366283d50e655c4e59b4f98ee0aa7a6f223ca478e47820b90c14d95274b8e8",
    "zh:3497ab9aebf55fcd24e6b48677d813714ce17e501ad7c179be066d5589ec1a61",
    "zh:360795cc91b7cef5b573ac2d17209a97ff5b0c8c0ee80e5999afba6ce3ab1398",
    "zh:3f50d7600a8d302f5ba6a97bde14da2678ce94ad556156cab6fea72a5fd06c80",
    "zh:449022773716a8aadb5fdd6b14ba1b3db0898c7c50337c9d1742f54be2b5aa4e",
    "zh:49d5bdd9b0313df429c8623eaab9e86e30e673ec25d0af3db7a4f81c1c34196f",
    "zh:54028091d7073a2ee11668912d8bf65e904cb2d005c993f9d502db2f543fcc3a",
    "zh:6cc8ab0ac578aa5ea177414cdf57aa99b08bfefe0fb82ddd57c98e647e355cab",
    "zh:80f87960065830a9153d59bf93e6ec6e7fd73164da2d3bb197f7758a6ed5cb69",
    "zh:85545948f98e0e6150b05769470666fef25687464692fb5069872a57db04352d",
    "zh:e78a98e79ea622e4fb91458ad6173ffbfa36634a906494ee80a58a2248a409d1",
    "zh:e901cd3c9bb11e8e6da00a8b847fe4db20cb3aa34309a091a599527251ea94de",
    "zh:ee3366c3d287a91ffc6414f0c4073a186e3d4cb2175b51f23d0152c089ca3686",
    "zh:fa7d5363db317402387f953554c155c23b7472a1d4d810abe7d5feb15b3a2989",
  ]
}
