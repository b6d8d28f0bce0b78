# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.245.0"
  constraints = "~> 1.245"
  hashes = [
    "h1:k18SnxenMdiT/v9vymL3z5HvXMVYoxBHJiFGc0hNESA=",
    "zh:0efb69e9a31cf8e81eec6017a671b7629e3900493d85d7828e718c5ad647ae04",
    "zh:2b7f2e20072d02b2ea1b05a377b35632ff6277e9cb19bd6370f55ae2e275a793",
    "zh:3a33be489466d0b79e97b5032cc14e775a3d2991989b24e3a366d031668e2cc3",
    "zh:3e23823992f3cc4a9b90f6cf1702aa823f58228deda524c0d8e89a9fbbee6de7",
    "zh:3e59c2f8ff9edc02b094e16db37928579ee2688eeebbeb46a7fee5fc27893d9e",
    "zh:4074897de318ae226d270c7bf968e551a136e18cfaa36e7469184d0e1f81bde3",
    "zh:5caa5a82dac3ed15910923404d036e90de1cb10680b5cb52a318131d543d5132",
    "zh:8949ec85caf41866233ff3a36cbb10abf771b5fd89c5c843889b8777152d3848",
    "zh:c30ca7c158f041d25b574aea29df15cbdeefa3bcefa807b7d196a77bac519668",
    "zh:c5be4f039fb38abe26c01ed70251ad9e88357a5fb86b535e434a0ee4c7945ed8",
    "zh:d427a794a823a07d1aafb2b663193dd899200dfdf77743019ea987a0508a6aa9",
    "zh:d4a754008529a07f61522f7c96c2122ecf3e5328182f01e2a030e2ce77d7dd3a",
    "zh:d4b49a1c5526af559c83242509c6df299950341ce2b1ad1acc985d549a3d07de",
    "zh:e19ab8ced61c743fcb890276d73a7154fca332b1c2c516671c52ac61bab75ab8",
  ]
}
