# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.230.0"
  constraints = "~> 1.230"
  hashes = [
    "h1:MHnVW91Y8yPsuzLhak2hhyeijSZc1BGYL8uTbUnayh0=",
    "zh:231fb6572089084aaef0dc01a5e7c2a9f2c42da379c6e47239a616b9bb280341",
    "zh:241bc17d195adcb32d0aa1bb20cf3695a5f17d8f02db8e2479b71547a6b1e630",
    "zh:24c9ef30b5a14f7b2da96fd3279bd31efa5c811a0878f49e81cae3915c32ae6f",
    "zh:2c45c66b6b9ef6314fa1cd1058b206246bb396d9a55fda7e3a74b1fc6186ec68",
    "zh:30557c02c31175cec59c0a06da4361cb834614a8a109121bdb0e465539a45312",
    "zh:569620e2dbdabb3186cf90c630071fecad365c507dca28a8703361a9ed4e0ed3",
    "zh:624a35bd52db636d4242c79720cefeb8248a9c56c0ec6be53dc4355ec5af0bac",
    "zh:63210626bee0eccf4ce6a583771c123d50405625323dc72292c3879c5e3fbc59",
    "zh:777dfef7c2e12d1ea7f459fd3787c6c49c299acaede358a47bca17b50b5dad7d",
    "zh:94125b9485a32e480528c59fd246795a29f6da3ccd13b4b66aadb2e17cad7d16",
    "zh:ca6998afc558d42869f5d67f41ad2afe0e2c67a36c6045df73a1bbe1fc8a2fda",
    "zh:d13a6ef793b8aa8800f9ec9be36a5e4c62bc0834cafb28be36e0047c8ac622b5",
    "zh:e5fe0c4f7d5a4356a9d43ef6aa24fda1cf5f8bfae7ca31d3693517e3326b481a",
    "zh:e89b6beb58d1c349aa9c824d6e78a4ef1883642b88b115f009b492f2c7f8ad0c",
  ]
}
