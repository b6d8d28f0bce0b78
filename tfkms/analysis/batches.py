"""Migration batches: at most 50 keys and 50 secrets per batch and region (the console's
limit), and a secret never before its key."""
from __future__ import annotations

import re

from tfkms.analysis.result import Batch

BATCH_LIMIT = 50


def natural(address: str) -> list[object]:
    """k[2] before k[10]."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", address)]


def plan_batches(keys: list[tuple[str, str | None]], secrets: list[tuple[str, str | None, str | None]],
                 limit: int = BATCH_LIMIT) -> list[Batch]:
    """keys: (address, region); secrets: (address, region, key address or None)."""
    regions = sorted({r or "unknown" for _, r in keys} | {r or "unknown" for _, r, _ in secrets})
    out: list[Batch] = []
    for region in regions:
        batches: list[Batch] = []
        key_batch: dict[str, int] = {}
        region_keys = sorted((a for a, r in keys if (r or "unknown") == region), key=natural)
        for i, address in enumerate(region_keys):
            if i % limit == 0:
                batches.append(Batch(region=region, number=len(batches) + 1))
            batches[-1].keys.append(address)
            key_batch[address] = len(batches) - 1
        region_secrets = [(a, k) for a, r, k in secrets if (r or "unknown") == region]
        # Secrets whose key is in a batch go to that batch or a later one; others anywhere.
        def earliest(item: tuple[str, str | None], batch_of: dict[str, int] = key_batch) -> int:
            key = item[1]
            if key is None:
                return 0
            matches = [b for k, b in batch_of.items() if k == key or k.startswith(key + "[")]
            return max(matches) if matches else 0

        for address, key in sorted(region_secrets, key=lambda item: (earliest(item), natural(item[0]))):
            index = earliest((address, key))
            while index < len(batches) and len(batches[index].secrets) >= limit:
                index += 1
            if index == len(batches):
                batches.append(Batch(region=region, number=len(batches) + 1))
            batches[index].secrets.append(address)
        out.extend(batches)
    return out
