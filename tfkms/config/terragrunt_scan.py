"""The scan's Terragrunt step: read every unit found under the PATHs and load the module each runs."""
from __future__ import annotations

from pathlib import Path

from tfkms.config.discover import scan_dir
from tfkms.config.loader import Loader
from tfkms.config.model import ModuleDir
from tfkms.config.terragrunt import TerragruntUnit, read_unit, redact_inputs
from tfkms.errors import InputProblem


def read_units(unit_dirs: dict[Path, list[Path]], loaders: dict[Path, Loader], problems: list[InputProblem]
               ) -> tuple[list[TerragruntUnit], list[tuple[Path, TerragruntUnit, ModuleDir]]]:
    """Every unit read (refused ones too, for their TFKMS204) and, for each unit tfkms judges, its
    PATH and the module it runs. A terragrunt.hcl that names no source runs its own folder's
    files; one with neither is a parent configuration other units include, not a unit."""
    units: list[TerragruntUnit] = []
    judged: list[tuple[Path, TerragruntUnit, ModuleDir]] = []
    for base, folders in unit_dirs.items():
        loader = loaders[base]
        for folder in folders:
            unit = read_unit(folder, loader.display, problems)
            if unit is None:
                continue
            if unit.refusal is None and unit.module_path is None:
                if not scan_dir(folder).config_files:
                    continue
                unit.module_path = folder
            units.append(unit)
            if unit.refusal is not None or unit.module_path is None:
                continue
            module_dir = loader.load(unit.module_path)
            redact_inputs(unit, module_dir.files)
            judged.append((base, unit, module_dir))
    return units, judged
