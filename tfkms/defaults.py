"""Defaults that `--help` shows, in a module that imports nothing, so the command line can show them
without loading the KMS client or the emulator (those modules should take their defaults from here)."""

# Live calls in flight at once. No fixed rate: the adaptive limiter (tfkms.truth.adaptive_rate) paces
# nothing until the account throttles, then follows its answers; `--qps N` adds a hard cap.
DEFAULT_CONCURRENCY = 16
DEFAULT_LIVE_TIMEOUT_S = 600.0  # --timeout: the whole live run (every call also has its own deadline)

# The credentials `tfkms emulator` accepts unless told otherwise (loopback only; not a secret).
EMULATOR_ACCESS_KEY_ID = "tfkms-emulator-ak"
EMULATOR_ACCESS_KEY_SECRET = "tfkms-emulator-secret"
