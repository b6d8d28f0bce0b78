"""Loopback KMS API emulator: real HTTP, signatures verified, state from a snapshot.

state = EmulatorState.from_inventory(load_inventory(path))
emulator = KmsEmulator(state, EmulatorOptions(throttle_every=4))
with serve(emulator) as base_url:  # "http://127.0.0.1:PORT"
    ...
state.migrate(instance_id="kst-...", key_ids=[...], secret_names=[...])
"""

from tfkms.emulator.server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    CallRecord,
    EmulatorOptions,
    KmsEmulator,
    serve,
    serve_forever,
)
from tfkms.emulator.state import EmulatorState, MigrationError

__all__ = [
    "DEFAULT_ACCESS_KEY_ID",
    "DEFAULT_ACCESS_KEY_SECRET",
    "CallRecord",
    "EmulatorOptions",
    "EmulatorState",
    "KmsEmulator",
    "MigrationError",
    "serve",
    "serve_forever",
]
