# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.230.1"
  constraints = "~> 1.230.0"
  hashes = [
    "h1:qhvh+5jWtSsOHgUQW6BWMhloANGglh1vr8j6QMy0rwU=",
    "zh:02d38fcb0817abf2ff1828ab7b14370fdbb919300f766c5d976cdaa782389106",
    "zh:044c70e2ff32a8bfa5c59c3bb7548d44ac7bc49a7cad74f9f7c132d92bfaad16",
    "zh:05fca7ea728998fe528dc635461ec44477eca783697d46b2d03a764e9947b91f",
    "zh:262644d9cf7a85fa5ff63321fcb253f60dd64db873040a56c14ea6afde73a211",
    "zh:352d26e58b27224053a72c2c57b6b5733bbf8b77f5e9e64fa9a9aa1f549a01c4",
    "zh:4f8e828745baa4c039cf43fbf0d8a6b62392358435336b4d37ae11734e222e9d",
    "zh:6516971c23259d30083453a71a98dc1c40d8645933dd2bdbaea4bc58ec461c2b",
    "zh:6def6eebbf1ac290add0b41b1172feb439252b97f9078ffe6f4700dda8c4d82e",
    "zh:aa8ed5624d84413096408db918bd59d67c89b9ca74d7f903a22ac557e92e6ac6",
    "zh:cf1e88e02eb25cddc86c940d4fb3f3f048a001874bf3964083285478c8f13678",
    "zh:d4f25bd37ad1e3bb54da7db57e54f5fbfbd056a64756b1ce6d7cf9c4ba5f6174",
    "zh:d959fabfc070fd0dcce092ccefe3bcfbe226dbe114bf484c5b1a5cf86304b008",
    "zh:ed088349911ff80ed65fc4439e7a0ba1825a3af0ee5586841a88cb057256d052",
    "zh:f6f8a03771d3987013b4a43681eb7da97bf4a564b2643ff8fe9a9ac0a59a676b",
  ]
}
