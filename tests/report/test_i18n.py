"""`--lang zh` (or a zh_* locale): the text report's own words in Chinese from a gettext catalog, each
finding's message led by its rule's title in Chinese, no line wider than the terminal in columns
(a Chinese character takes two), and machine formats unchanged."""
from __future__ import annotations

import gettext
import importlib.util
import json
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, REPO
from tfkms.analysis.rules import RULES
from tfkms.cli import app
from tfkms.i18n import LOCALE_DIR, language_from_environment

QUICKSTART = FIXTURES / "quickstart"
FIX = ["fix", str(QUICKSTART), "--state", str(QUICKSTART / "terraform.tfstate")]


def _catalog_table() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("zh_catalog", REPO / "tools" / "zh_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.TEXTS)


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "80", **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_every_rule_title_and_hint_has_a_translation() -> None:
    catalog = gettext.translation("tfkms", localedir=LOCALE_DIR, languages=["zh_CN"])
    for rule in RULES.values():
        for text in (rule.title, rule.help):
            assert catalog.gettext(text) != text, f"{rule.id}: no Chinese for {text!r}"


def test_the_shipped_catalog_is_the_table_compiled() -> None:
    """tools/zh_catalog.py is the source; the .mo in the package must be what it writes."""
    catalog = gettext.translation("tfkms", localedir=LOCALE_DIR, languages=["zh_CN"])
    table = _catalog_table()
    assert {msgid: catalog.gettext(msgid) for msgid in table} == table
    for msgid, msgstr in table.items():  # placeholders survive translation
        assert sorted(part.split("}")[0] for part in msgid.split("{")[1:]) == \
            sorted(part.split("}")[0] for part in msgstr.split("{")[1:]), msgid


def test_fix_in_chinese_fits_80_columns_and_ends_with_the_verdict() -> None:
    code, out, _ = _invoke("--lang", "zh", *FIX)
    assert code == 2
    report = out[out.index("\n\n", out.rindex("@@")) + 2:]  # after the diff (the user's own lines)
    lines = report.splitlines()
    assert max(_columns(line) for line in lines) <= 80
    assert lines[-1] == "下一次 plan 将替换或销毁 7 个 KMS 资源；加上 --write 运行即可修补 2 个文件"
    assert lines[-2] == "tfkms fix：需要处理：7 个 KMS 资源，8 个错误，0 个警告，1 条信息，2 个文件待修改"
    assert "main.tf:4  TFKMS200  错误  alicloud_kms_key.app" in report
    assert "dkms_instance_id 将导致资源被替换：migrated into" in report  # the English message, led in Chinese
    assert "建议：" in report and "请写入云上报告的实例 ID" in report


def test_a_chinese_locale_chooses_chinese_and_lang_en_overrides_it() -> None:
    zh = _invoke("check", str(FIXTURES / "clean-ready"), env={"LANGUAGE": "", "LANG": "zh_CN.UTF-8"})[1]
    assert zh.splitlines()[-1].startswith("就绪：没有阻碍迁移的问题")
    en = _invoke("--lang", "en", "check", str(FIXTURES / "clean-ready"), env={"LANGUAGE": "", "LANG": "zh_CN.UTF-8"})[1]
    assert en.splitlines()[-1].startswith("ready: nothing blocks the migration")


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "gitlab", "markdown"])
def test_machine_formats_never_change_with_the_language(fmt: str) -> None:
    english = _invoke(*FIX, "-f", fmt)[1]
    chinese = _invoke("--lang", "zh", *FIX, "-f", fmt)[1]
    if fmt in ("json", "sarif", "gitlab"):
        english, chinese = json.loads(english), json.loads(chinese)
    assert chinese == english


def test_an_unknown_language_is_a_usage_error() -> None:
    code, out, err = _invoke("--lang", "fr", "check", str(QUICKSTART))
    assert (code, out) == (1, "") and "--lang must be one of en, zh" in err


@pytest.mark.parametrize(("environ", "language"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANGUAGE": "en:zh", "LANG": "zh_CN.UTF-8"}, "en"), ({"LANG": "C.UTF-8"}, "en"), ({}, "en"),
])
def test_language_from_environment(environ: dict[str, str], language: str) -> None:
    assert language_from_environment(environ) == language


def test_the_catalog_ships_in_the_package() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"locale/*/LC_MESSAGES/*.mo"' in pyproject
    assert (Path(LOCALE_DIR) / "zh_CN" / "LC_MESSAGES" / "tfkms.mo").is_file()
