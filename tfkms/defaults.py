"""Defaults that `--help` shows, in a module that imports nothing, so the command line can show them
without loading the KMS client or the emulator (those modules should take their defaults from here)."""

# Alibaba Cloud publishes no per-API quota for the KMS management calls that we could verify, so the
# live defaults stay well below anything a shared account is likely to allow.
DEFAULT_QPS = 25.0
DEFAULT_CONCURRENCY = 8
DEFAULT_LIVE_TIMEOUT_S = 600.0  # --timeout: the whole live run (every call also has its own deadline)

# The credentials `tfkms emulator` accepts unless told otherwise (loopback only; not a secret).
EMULATOR_ACCESS_KEY_ID = "tfkms-emulator-ak"
EMULATOR_ACCESS_KEY_SECRET = "tfkms-emulator-secret"
