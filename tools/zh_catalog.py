"""Writes tfkms/locale/zh_CN/LC_MESSAGES/tfkms.po (and compiles tfkms.mo) from the table below.

The table is the source: edit a translation here, run `python tools/zh_catalog.py` (needs Babel, a
test dependency), commit both files. tests/report/test_i18n.py checks that every rule and every
message the text report translates has an entry, and that the .mo is this table compiled.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "tfkms" / "locale" / "zh_CN" / "LC_MESSAGES"

RULE_TEXTS = {
    "Key spec or protection level cannot migrate to the target instance type": "密钥规格或保护级别无法迁移到目标实例类型",
    "Pick the other instance type, or keep this key in KMS 1.0 and contact support.": "请选择另一种实例类型，或将此密钥保留在 KMS 1.0 并联系技术支持。",
    "Key is not Enabled": "密钥未处于启用（Enabled）状态",
    "Only Enabled keys migrate: enable it, or delete it from the configuration.": "只有已启用的密钥才能迁移：请启用它，或从配置中删除它。",
    "Automatic rotation is on": "已开启自动轮转",
    "Disable automatic rotation before migrating; re-enable it after the migration.": "迁移前请关闭自动轮转，迁移完成后再重新开启。",
    "HSM key outside the Chinese mainland": "中国内地以外地域的 HSM 密钥",
    "HSM keys outside the Chinese mainland cannot migrate; contact Alibaba Cloud support.": "中国内地以外地域的 HSM 密钥无法迁移，请联系阿里云技术支持。",
    "BYOK key at HSM protection level": "HSM 保护级别的 BYOK 密钥",
    "Keys with external key material at HSM level cannot migrate; plan a new key.": "使用外部密钥材料且为 HSM 级别的密钥无法迁移，请规划一个新密钥。",
    "Service key (alias/acs/...)": "服务密钥（alias/acs/...）",
    "Service keys are not migrated; nothing to do.": "服务密钥不参与迁移，无需处理。",
    "Secret's key is not migratable or not in the same batch": "凭据的加密密钥无法迁移，或不在同一批次",
    "Migrate the secret's encryption key in the same batch or earlier, or re-encrypt the secret with a migratable key.": "请在同一批次或更早迁移该凭据的加密密钥，或改用可迁移的密钥重新加密该凭据。",
    "Secret name clash in the target instance": "目标实例中凭据名称冲突",
    "Secret names must be unique per instance in a region: rename one of the secrets.": "同一地域同一实例内的凭据名称必须唯一：请重命名其中一个凭据。",
    "Key version ids change after migration": "迁移后密钥版本 ID 会变化",
    "Remove logic that depends on key version ids; plan to re-import alicloud_kms_key_version resources after migration.": "请去掉依赖密钥版本 ID 的逻辑，并计划在迁移后重新导入 alicloud_kms_key_version 资源。",
    "Provider older than 1.183.0 cannot express dkms_instance_id": "低于 1.183.0 的 Provider 无法表达 dkms_instance_id",
    "Upgrade the alicloud provider to >= 1.235.0 before migrating.": "迁移前请将 alicloud provider 升级到 1.235.0 或更高版本。",
    "No usable target instance in the region": "该地域没有可用的目标实例",
    "Set up a KMS instance of the target type in the region and wait until it is Connected. Judged per region, across roots; info when the inventory does not list the region's instances.":
        "请在该地域创建目标类型的 KMS 实例，并等待其状态变为已连接（Connected）。按地域判断，跨所有根模块；清单未列出该地域的实例时为信息级别。",
    "Target instance must be upgraded first": "目标实例需要先升级",
    "Upgrade the instance: a legacy spec-200 instance to KMS 3.0; one of spec 1000 or more needs product version 3. Judged per instance (kms:instance/ID), across roots.":
        "请升级实例：旧的 spec-200 实例需升级到 KMS 3.0；spec 1000 及以上的实例需要产品版本 3。按实例（kms:instance/ID）判断，跨所有根模块。",
    "Target instance quota too small": "目标实例配额不足",
    "Raise the instance's key or secret quota, or move fewer into the region. Judged per region, across roots: only when no instance of the target type there has room (unknown quotas: none).":
        "请提高实例的密钥或凭据配额，或减少迁入该地域的数量。按地域判断，跨所有根模块：仅当该地域没有任何目标类型实例有余量时报告（配额未知时不报告）。",
    "dkms_instance_id would force replacement": "dkms_instance_id 将导致资源被替换",
    "Write the instance id the cloud reports, or ignore dkms_instance_id in lifecycle.": "请写入云上报告的实例 ID，或在 lifecycle 中忽略 dkms_instance_id。",
    "protection_level would force replacement": "protection_level 将导致资源被替换",
    "Make protection_level equal what the cloud reports, or ignore it in lifecycle.": "请让 protection_level 与云上报告的一致，或在 lifecycle 中忽略它。",
    "encryption_key_id would force replacement": "encryption_key_id 将导致资源被替换",
    "Write the key id the cloud reports, or ignore encryption_key_id in lifecycle.": "请写入云上报告的密钥 ID，或在 lifecycle 中忽略 encryption_key_id。",
    "Configuration names a different KMS instance than the cloud": "配置中的 KMS 实例与云上不一致",
    "Use the instance id the cloud reports.": "请使用云上报告的实例 ID。",
    "Cannot patch here": "无法在此处修补",
    "Patch the module's source or the expression by hand (the message says where).": "请手动修改模块源码或该表达式（说明中写明了位置）。",
    "Rotation differs after migration (in-place update)": "迁移后轮转设置不同（原地更新）",
    "Re-enable rotation as before migration, or pass --ignore-rotation.": "请按迁移前的设置重新开启轮转，或加上 --ignore-rotation。",
    "Not migrated yet": "尚未迁移",
    "Nothing to patch until the resource is migrated.": "资源迁移之前无需修补。",
    "Unmanaged: the cloud has it, no scanned state manages it": "未纳管：云上存在，但扫描到的 state 都不管理它",
    "Import it into the Terraform root that should own it, or record why it lives outside Terraform.": "请将其导入应管理它的 Terraform 根模块，或记录它为何在 Terraform 之外。",
    "Missing: a state manages it, the cloud does not have it": "缺失：state 管理着它，但云上不存在",
    "It was deleted outside Terraform, or the state points at another account/region: check before the next apply recreates it.": "它可能已在 Terraform 之外被删除，或 state 指向了其他账号或地域：请在下一次 apply 重新创建它之前核实。",
    "ForceNew attribute the cloud reports is missing from config": "配置中缺少云上报告的 ForceNew 属性",
    "Write the value the state reports into the resource, or ignore the attribute in lifecycle.": "请把 state 报告的值写入该资源，或在 lifecycle 中忽略该属性。",
    "Config evaluates to other instances than the state holds": "配置求值得到的实例与 state 中的不同",
    "tfkms follows the state; check count/for_each and the variables your pipeline passes (-var-file is not read by tfkms).": "tfkms 以 state 为准；请检查 count/for_each 以及流水线传入的变量（tfkms 不读取 -var-file）。",
    "The fix edits a file outside the scanned paths": "修复会修改扫描路径之外的文件",
    "Review the change with the module's other callers in mind; the value itself goes at the scanned call sites.": "请结合该模块的其他调用方审阅此修改；值本身写在扫描到的调用处。",
    "Plan destroys or replaces a KMS key or secret": "Plan 会销毁或替换 KMS 密钥或凭据",
    "Do not apply: run `tfkms fix` with the post-migration state and plan again.": "不要 apply：请用迁移后的 state 运行 `tfkms fix`，然后重新 plan。",
    "Plan is incomplete": "Plan 不完整",
    "Plan the whole configuration (no -target) and guard that plan: changes this plan leaves out are not judged.": "请对整个配置做 plan（不加 -target）并用 guard 检查：此 plan 遗漏的变更不会被判断。",
    "Plan may not have refreshed": "Plan 可能没有刷新",
    "If the keys and secrets have been migrated, plan again with refresh (no -refresh=false) after the migration, or run `tfkms verify`, which always refreshes.": "如果密钥和凭据已经迁移，请在迁移后重新 plan 并刷新（不加 -refresh=false），或运行总会刷新的 `tfkms verify`。",
}

REPORT_TEXTS = {
    "error": "错误",
    "warning": "警告",
    "info": "信息",
    "{severity} (suppressed: {reason})": "{severity}（已忽略：{reason}）",
    "{severity}, fixed": "{severity}，已修复",
    "{title}: {message}": "{title}：{message}",
    "hints:": "建议：",
    "error: ": "错误：",
    ", ": "，",
    "Migration batches (at most 50 keys and 50 secrets each, secrets with or after their key):":
        "迁移批次（每批最多 50 个密钥和 50 个凭据，凭据与其加密密钥同批或在其之后）：",
    "{where} batch {number}: {keys} key(s), {secrets} secret(s)": "{where} 第 {number} 批：{keys} 个密钥，{secrets} 个凭据",
    "{count} KMS resource(s)": "{count} 个 KMS 资源",
    "{count} error(s)": "{count} 个错误",
    "{count} warning(s)": "{count} 个警告",
    "{count} info": "{count} 条信息",
    "{count} suppressed": "{count} 项已忽略",
    "{count} fixed": "{count} 项已修复",
    "{count} file(s) written": "已写入 {count} 个文件",
    "{count} file(s) to change": "{count} 个文件待修改",
    "{count} input error(s)": "{count} 个输入错误",
    "ready": "就绪",
    "failed": "失败",
    "action needed": "需要处理",
    "nothing to do": "无需处理",
    "tfkms {command}: {status}: {parts}": "tfkms {command}：{status}：{parts}",
    "fix the {count} input error(s) above and run again; nothing was judged or written for the files they name":
        "请修正上面的 {count} 个输入错误后重新运行；这些文件既未被判断，也未被写入",
    "nothing left to do": "没有剩余工作",
    "{count} finding(s) need a human (TFKMS204)": "{count} 项发现需要人工处理（TFKMS204）",
    "{count} finding(s) still need action": "{count} 项发现仍需处理",
    "patched {count} file(s); {rest}": "已修补 {count} 个文件；{rest}",
    "{count} KMS resource(s) would be replaced or destroyed by the next plan; ": "下一次 plan 将替换或销毁 {count} 个 KMS 资源；",
    "{risk}run with --write to patch {count} file(s)": "{risk}加上 --write 运行即可修补 {count} 个文件",
    "{count} finding(s) need a human (TFKMS204): the messages say what to change":
        "{count} 项发现需要人工处理（TFKMS204）：说明中写明了要改什么",
    "nothing to do: the next plan destroys no KMS resource tfkms can see": "无需处理：下一次 plan 不会销毁 tfkms 能看到的任何 KMS 资源",
    "do not apply: the plan destroys KMS resources (run tfkms fix, then plan again)":
        "不要 apply：该 plan 会销毁 KMS 资源（先运行 tfkms fix，再重新 plan）",
    "safe to apply: the plan destroys no KMS key or secret": "可以 apply：该 plan 不会销毁任何 KMS 密钥或凭据",
    "clean: no drift": "一致：没有漂移",
    "{count} finding(s) need action": "{count} 项发现需要处理",
    "all {count} KMS keys and secrets are migrated: run tfkms fix with the post-migration state":
        "全部 {count} 个 KMS 密钥和凭据均已迁移：请用迁移后的 state 运行 tfkms fix",
    " ({count} already migrated: run tfkms fix for them)": "（其中 {count} 个已迁移：请对它们运行 tfkms fix）",
    "ready: nothing blocks the migration{done}": "就绪：没有阻碍迁移的问题{done}",
    "{count} finding(s) need action before the migration{done}": "迁移前有 {count} 项发现需要处理{done}",
}

TEXTS = {**RULE_TEXTS, **REPORT_TEXTS}


def build() -> Catalog:
    stamp = datetime(2026, 12, 1, tzinfo=timezone.utc)  # fixed: regenerating changes no header line
    catalog = Catalog(locale="zh_CN", domain="tfkms", project="tfkms", version="0.1", charset="utf-8",
                      creation_date=stamp, revision_date=stamp, fuzzy=False,
                      copyright_holder="the tfkms authors", last_translator="the tfkms authors",
                      language_team="zh_CN")
    for msgid, msgstr in TEXTS.items():
        catalog.add(msgid, msgstr)
    return catalog


def main() -> int:
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    catalog = build()
    with open(LOCALE_DIR / "tfkms.po", "wb") as po:
        write_po(po, catalog, omit_header=False, sort_output=True, width=0)
    with open(LOCALE_DIR / "tfkms.mo", "wb") as mo:
        write_mo(mo, catalog)
    return 0


if __name__ == "__main__":
    sys.exit(main())
