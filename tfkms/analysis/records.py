"""The `resources` list of a report: every KMS resource block under every root."""
from __future__ import annotations

from tfkms.analysis.result import ResourceRecord
from tfkms.config.instances import Root, expand_resource


def resource_records(root: Root) -> list[ResourceRecord]:
    records: dict[str, ResourceRecord] = {}
    for module in root.modules:
        for resource in module.dir.resources:
            if not resource.is_kms:
                continue
            address = module.config_prefix + resource.config_name
            record = records.get(address)
            if record is None:
                record = ResourceRecord(
                    address=address, type=resource.type, root=root.display, file=resource.file.display,
                    line=resource.block.line, mode=resource.mode, module_source=module.owner_kind,
                    provider_version=str(root.provider_version) if root.provider_version else None)
                records[address] = record
            for inst in expand_resource(resource, module):
                record.instances.append(inst.address)
                if record.region is None:
                    record.region = inst.region
    return sorted(records.values(), key=lambda r: r.address)
