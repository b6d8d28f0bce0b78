# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.230.0"
  constraints = ">= 1.230.0"
  hashes = [
    "h1:VzG9nX2pJepFNBoq1CJKQsT29Qdii86pkVviHIwSK4A=",
    "zh:1ee0bc64a993b19475c9ef2b010a4cba73b6b54ad9e842f4960be64f4da2ce88",
    "zh:21be2ee526009977cc64f29ef4347e499d7c941c5592187776e0224de6e9ddd8",
    "zh:363a3fa9b52f2f8e836a5715415611108417bc566ed1072ebe1f7e3f7c421aad",
    "zh:38937bac4b27acec668c90b61c210e7eeeec3b9f2ef8d9f40d8a59bf3f4c01de",
    "zh:56fa70db08b4ef4276d1d4305793c98b149052c7bb3e0fa70a27ae17dacbde2d",
    "zh:7b37fce21f3fbcfb2534f526dabb3b2c99294768b48dfc8146ab668c65ddebef",
    "zh:916ef54f9ae1012f895bcb683474850107312c4fa27712e63d1f2e7009b6fb53",
    "zh:93a3ec539c7929f7e4e0cc0f769c4b125e14184dd6e24ac97b3409f3b1d457e6",
    "zh:94e24c0e8a8901716a470b9b761f65d4ceb8f14c85e7f8ff633e8a262bec0445",
    "zh:95fa9d032d86d2906e5e7db72c6df3ae4dd73e819554f769ed3e9205e59f291f",
    "zh:970c50dfe8b288e0e755a7ba04c6c2d02ee4e1458fcf8cc03ef0c8a48717802b",
    "zh:a2d20d42c745c8d7fe031648a2f3e2bd1b5922fde9a05132a8aeb9c55077a741",
    "zh:c640a0ef39a368e69baf91b96e379a78575bbee7e5e41c67bb954ef4d5467b8e",
    "zh:d143c703dc69649e49e0002251210fe7ef52552f9829f32f7d5d92636918af2f",
  ]
}
