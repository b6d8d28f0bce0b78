# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/aliyun/alicloud" {
  version     = "1.232.0"
  constraints = "~> 1.232.0"
  hashes = [
    "h1:dAmh0Tv6R0PrFzEPSBRb4o5kt7NbP0v/Xf07YbbKH1U=",
    "zh:1c413375b8c39fe1d96cb3f093cb4769f527ea1c0179a911ff18cc3eafc27658",
    "zh:332346304d14ee6ab19632251b930fb78328c5e6e058bdda3a3c157cce9eb299",
    "zh:44c4e3efcc67cba75a1baad1f42c397921db42838634dcd5bc3045ef505c437a",
    "zh:472cbbc9c34aa97c857b2b732ce2a5ee3648fb42e316c462b38d17eba3214717",
    "zh:556fd309f58dbe36f5cf057f089fd356ad60c49e41c1c6c724b7c8e86d32e6a7",
    "zh:663c5b5f259b01cb5d09f4ff3d236faf5ee44cc2769f583d86ecfc99107438a8",
    "zh:84999a9be986525013072eb6e74ac7546e5b01987fe52579e343a607c6557bbe",
    "zh:8c964fbe6bc5f3da669ad2d34d276a21093f9aed11670fca97d14db952cd2929",
    "zh:b0880a1a7309e61280e432069f62bceb1fef7787bf6fc203935653393184947e",
    "zh:b1bcbd83fc3ec9f54af7116b4ae55294718bbf07e542ffa5dcf651556837a4f4",
    "zh:bf88fce0cb6b9b30e82fc505128ce3adc67ee8a619470ad56a64b8ba39b91ee3",
    "zh:d78aa72c45385bc2102455611065972234a1c7bb5ba5047d1eb4d241dac57b84",
    "zh:ea15161ad1af566c257e1202cd2fcd9f17faf850dde1dc59f4cb797ede88346c",
    "zh:f29e76e29d6eb35fb774db2e61c37540701ed016a2361f4f0af1df7f48a667ad",
  ]
}
