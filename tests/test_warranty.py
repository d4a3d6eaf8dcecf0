"""The owner warranty card: periods counted to the law (民法典 arts. 201–203), promises held
to the legal minimums, the expiry the longest of promise, 1998 minimum and builder's period,
and the card itself — one A4 page with a QR code that decodes to card no.|room|delivery date."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from generator.warranty.card import card_rows, expiry
from generator.warranty.law import load_terms
from generator.warranty.periods import (
    Period,
    add_months,
    parse_period,
    parse_season,
    period_end,
    season_end,
)
from generator.workspace import Workspace
from tests.conftest import (
    docx_text,
    libreoffice_pdfs,
    need_tool,
    pdftotext,
    squash,
    write_sample,
)

D = dt.date
HEATING = parse_season("11-15..03-15")
COOLING = parse_season("06-01..09-30")
QR_TEXT = "BX-SH1-03-021203|3-2-1203|2025-06-30"


# --- counting (pure) -----------------------------------------------------------------------


@pytest.mark.parametrize(("start", "period", "end"), [
    (D(2025, 6, 30), "5y", D(2030, 6, 30)),  # the sample: the corresponding day, not a day short
    (D(2024, 2, 29), "1y", D(2025, 2, 28)),  # no 02-29 in 2025: the month's last day
    (D(2024, 2, 29), "4y", D(2028, 2, 29)),
    (D(2024, 1, 31), "1m", D(2024, 2, 29)),
    (D(2025, 1, 31), "1m", D(2025, 2, 28)),
    (D(2025, 8, 31), "6m", D(2026, 2, 28)),
    (D(2025, 3, 31), "1m", D(2025, 4, 30)),
    (D(2025, 2, 28), "1m", D(2025, 3, 28)),  # the corresponding day, not the month's end
    (D(2025, 12, 31), "2m", D(2026, 2, 28)),
    (D(2025, 6, 30), "18m", D(2026, 12, 30)),
])
def test_years_and_months_end_on_the_corresponding_day(start, period, end):
    assert period_end(start, parse_period(period)) == end


def test_add_months_crosses_years():
    assert add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)
    assert add_months(D(2025, 11, 30), 27) == D(2028, 2, 29)


@pytest.mark.parametrize(("start", "count", "season", "end"), [
    # delivered in summer: the next two winters
    (D(2025, 6, 30), 2, HEATING, D(2027, 3, 15)),
    # delivered inside a heating season: that season is not counted (its rest is extra)
    (D(2025, 12, 1), 1, HEATING, D(2027, 3, 15)),
    (D(2026, 2, 1), 2, HEATING, D(2028, 3, 15)),
    # delivered on the day a season starts: the period runs from the next day, so not counted
    (D(2025, 11, 15), 1, HEATING, D(2027, 3, 15)),
    # the day before a season starts: it counts
    (D(2025, 11, 14), 1, HEATING, D(2026, 3, 15)),
    # a season within one calendar year
    (D(2025, 6, 30), 1, COOLING, D(2026, 9, 30)),
    (D(2025, 5, 31), 2, COOLING, D(2026, 9, 30)),
])
def test_seasons_end_with_the_nth_season_that_starts_after_the_date(start, count, season, end):
    assert season_end(start, count, season) == end


def test_heating_and_cooling_end_with_the_later_season():
    assert period_end(D(2025, 6, 30), parse_period("2 seasons"), (HEATING, COOLING)) \
        == D(2027, 9, 30)


@pytest.mark.parametrize("text", ["0y", "5 weeks", "five years", "-1y", ""])
def test_a_period_that_is_none_is_refused(text):
    with pytest.raises(ValueError, match="not a period"):
        parse_period(text)


@pytest.mark.parametrize(("text", "period"), [
    ("5y", Period("year", 5)), ("18 m", Period("month", 18)), ("2 Seasons", Period("season", 2)),
    ("design  life", Period("design life")), ("1 season", Period("season", 1)),
])
def test_periods_are_read(text, period):
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["02-29..03-15", "11-15", "13-01..03-01", "11-15..11-15"])
def test_a_season_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        parse_season(text)


# --- the law and the promises ----------------------------------------------------------------


def configured(home: Path, toml: str) -> Workspace:
    (home / "aftersales.toml").write_text(toml, "utf-8")
    return Workspace.open(home)


def rows_by_item(workspace: Workspace, delivery: dt.date, completion: dt.date,
                 omit=()) -> dict[str, dict[str, str]]:
    return {row["item"]: row
            for row in card_rows(load_terms(workspace), delivery, completion, omit)}


def test_every_item_has_its_source_and_builder_item(workspace):
    terms = load_terms(workspace)
    assert len(terms.items) == 13
    assert terms.items["sanitary_ware"].builder.name == "电气管线、给排水管道、设备安装"
    assert terms.items["roof"].owner.source.startswith("《商品住宅实行住宅质量保证书")
    assert "第四十条" in terms.items["roof"].builder.source
    assert "建设部令第80号" in terms.items["roof"].builder.source


def test_sample_dates_item_by_item(workspace):
    """Delivered 2025-06-30, completed 2025-03-18, default promises."""
    rows = rows_by_item(workspace, D(2025, 6, 30), D(2025, 3, 18))
    expected = {
        "地基基础和主体结构": ("设计文件规定的该工程合理使用年限", "设计合理使用年限",
                          "设计合理使用年限"),
        "屋面防水": ("3 年（条例 5 年）", "5 年", "2030-06-30"),  # the promise
        # the builder's 5 years from completion outlast the 1-year promise
        "墙面、厨房和卫生间地面、地下室、管道渗漏": ("1 年（条例 5 年）", "1 年", "2030-03-18"),
        "墙面、顶棚抹灰层脱落": ("1 年（条例 2 年）", "1 年", "2027-03-18"),
        "其他装修工程": ("2 年", "2 年", "2027-06-30"),
        "电气管线、给排水管道、设备安装": ("2 年", "3 年", "2028-06-30"),
        "灯具、电器开关": ("6 个月（条例 2 年）", "6 个月", "2027-03-18"),
        "管道堵塞": ("2 个月（条例 2 年）", "2 个月", "2027-03-18"),
        # two cooling seasons after delivery end later than two heating seasons
        "供热、供冷系统和设备": ("1 个采暖期、供冷期（条例 2 个采暖期、供冷期）",
                         "2 个采暖期、供冷期", "2027-09-30"),
        "其他部位、部件": ("由双方约定", "1 年", "2026-06-30"),
    }
    for item, (minimum, promised, expires) in expected.items():
        assert (rows[item]["legal_minimum"], rows[item]["promised"], rows[item]["expires"]) \
            == (minimum, promised, expires), item


def test_a_builder_period_outlasts_the_1998_minimum_only_when_completion_was_recent(workspace):
    terms = load_terms(workspace)
    lamps = terms.items["lamps_switches"]
    # completed shortly before delivery: 2 years from completion beat 6 months from delivery
    assert expiry(lamps, terms, D(2025, 6, 30), D(2025, 3, 18)) == D(2027, 3, 18)
    # completed long before (homes sold from stock): what is left of the builder's period is
    # nothing, the 6 months from delivery remain
    assert expiry(lamps, terms, D(2025, 6, 30), D(2022, 1, 10)) == D(2025, 12, 30)
    # the 1998 minimum beats a promise only if the promise were shorter; here the builder's
    # period beats both the promise (1 year) and the 1998 minimum (1 year)
    leaks = terms.items["leaks"]
    assert expiry(leaks, terms, D(2025, 6, 30), D(2024, 6, 30)) == D(2029, 6, 30)
    assert expiry(leaks, terms, D(2025, 6, 30), D(2019, 1, 1)) == D(2026, 6, 30)


def test_a_configured_design_life_gives_a_date(home):
    workspace = configured(home, '[warranty]\ndesign_life = "50y"\n')
    rows = rows_by_item(workspace, D(2025, 6, 30), D(2025, 3, 18))
    assert rows["地基基础和主体结构"]["expires"] == "2075-06-30"
    assert rows["地基基础和主体结构"]["promised"] == "设计使用年限 50 年"


def test_seasons_follow_the_configuration(home):
    workspace = configured(home, '[warranty]\ncooling_season = ""\n')
    rows = rows_by_item(workspace, D(2025, 6, 30), D(2025, 3, 18))
    assert rows["供热、供冷系统和设备"]["expires"] == "2027-03-15"
    assert rows["供热、供冷系统和设备"]["promised"] == "2 个采暖期"


def test_items_are_left_out_on_request(workspace):
    rows = rows_by_item(workspace, D(2025, 6, 30), D(2025, 3, 18), omit=["heating_cooling"])
    assert len(rows) == 12 and "供热、供冷系统和设备" not in rows


@pytest.mark.parametrize(("toml", "message"), [
    ('[warranty.promises]\ndecoration = "6m"\n',
     "'warranty.promises.decoration' = 6m is shorter than the law's minimum for 其他装修工程 "
     "(decoration), 2y"),
    ('[warranty.promises]\nroof = "1y"\n',
     "'warranty.promises.roof' = 1y is shorter than the law's minimum for 屋面防水 (roof), 3y"),
    ('[warranty.promises]\nheating_cooling = "2y"\n',
     "'warranty.promises.heating_cooling' = 2y for 供热、供冷系统和设备 cannot be compared with "
     "the law's minimum, 1 seasons"),
    ('[warranty.promises]\nstructure = "70y"\n',
     "'warranty.promises.structure' = 70y is shorter than the law's minimum for 地基基础和主体结构 "
     "(structure), design life"),
    ('[warranty.promises]\nlamps_switches = "half a year"\n',
     "'warranty.promises.lamps_switches': 'half a year' is not a period"),
    ('[warranty]\nheating_season = "11-15..02-29"\n', "'warranty.heating_season'"),
])
def test_a_promise_short_of_the_law_is_refused(run, home, tmp_path, toml, message):
    (home / "aftersales.toml").write_text(toml, "utf-8")
    result = run("fill", "warranty-card", "--data", str(write_sample(tmp_path, "warranty-card")))
    assert result.exit_code == 2
    assert message in result.output
    assert not (home / "output" / "warranty-card").exists()


def test_a_longer_design_life_in_years_is_accepted(home):
    workspace = configured(home, '[warranty]\ndesign_life = "50y"\n'
                                 '[warranty.promises]\nstructure = "70y"\n')
    rows = rows_by_item(workspace, D(2025, 6, 30), D(2025, 3, 18))
    assert rows["地基基础和主体结构"]["expires"] == "2095-06-30"


# --- the card ----------------------------------------------------------------------------


def filled_card(run, home, tmp_path, **changes) -> dict[str, Path]:
    result = run("fill", "warranty-card", "--data",
                 str(write_sample(tmp_path, "warranty-card", **changes)), "--json")
    assert result.exit_code == 0, result.output
    return {d["format"]: home / d["path"] for d in json.loads(result.output)["documents"]}


def test_the_card_prints_computed_periods_builder_and_seal_on_one_page(run, home, tmp_path):
    paths = filled_card(run, home, tmp_path)
    assert len(PdfReader(str(paths["pdf"])).pages) == 1
    for text in (pdftotext(paths["pdf"]), docx_text(paths["docx"])):
        flat = squash(text)
        for value in ("屋面防水", "3年（条例5年）", "2030-06-30", "2030-03-18", "2027-09-30",
                      "示例建设集团第三项目部", "发卡单位（盖章）：示例置业有限公司",
                      "发卡人（签字）：吴静", "设计文件规定的该工程合理使用年限"):
            assert value in flat, value
        assert "2030-06-29" not in flat


def test_the_card_names_only_its_embedded_font(run, home, tmp_path):
    """The QR code draws no text, so it must not bring reportlab's Helvetica along."""
    need_tool("pdffonts", "poppler-utils")
    paths = filled_card(run, home, tmp_path)
    listing = subprocess.run(["pdffonts", str(paths["pdf"])], check=True, capture_output=True,
                             text=True).stdout
    fonts = listing.splitlines()[2:]
    assert fonts and not [line for line in fonts if "Helvetica" in line]


def test_the_seal_has_its_room(run, home, tmp_path):
    """About 4 cm between the company's name, which the seal is stamped over, and the
    signatory's line below it."""
    from tests.conftest import pdf_lines

    paths = filled_card(run, home, tmp_path)
    lines = pdf_lines(paths["pdf"])[0]
    seal = next(line for line in lines if line.text.startswith("发卡单位（盖章）"))
    signatory = next(line for line in lines if line.text.startswith("发卡人（签字）"))
    assert 3.8 <= (seal.y - signatory.y) / 72 * 2.54 <= 4.6


def decoded(image) -> list[str]:
    """The QR codes in `image`, read by ZXing (zxing-cpp, the dev extra): a decoder that
    shares no code with reportlab's encoder."""
    import zxingcpp

    return [barcode.text for barcode in zxingcpp.read_barcodes(image)
            if barcode.format == zxingcpp.BarcodeFormat.QRCode]


def test_the_qr_code_decodes_to_card_room_and_delivery(run, home, tmp_path):
    from PIL import Image

    need_tool("pdftoppm", "poppler-utils")
    paths = filled_card(run, home, tmp_path)
    page = subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(paths["pdf"])],
                          check=True, capture_output=True).stdout
    assert decoded(Image.open(io.BytesIO(page))) == [QR_TEXT]
    with zipfile.ZipFile(paths["docx"]) as archive:
        pictures = [n for n in archive.namelist() if n.startswith("word/media/")]
        assert len(pictures) == 1
        assert decoded(Image.open(io.BytesIO(archive.read(pictures[0])))) == [QR_TEXT]


def test_the_blank_card_prints_the_law(run, home):
    result = run("forms", "blank", "warranty-card", "-o", str(home / "blank"))
    assert result.exit_code == 0, result.output
    flat = squash(pdftotext(home / "blank" / "warranty-card.pdf"))
    for value in ("设计文件规定的该工程合理使用年限", "3年（条例5年）", "6个月（条例2年）",
                  "2个月（条例2年）", "由双方约定"):
        assert value in flat, value
    assert "2030-" not in flat
    blank_docx = squash(docx_text(home / "blank" / "warranty-card.docx"))
    assert "设计文件规定的该工程合理使用年限" in blank_docx


def test_typed_periods_are_refused(run, home, tmp_path):
    data = write_sample(tmp_path, "warranty-card",
                        periods=[{"item": "屋面防水", "legal_minimum": "1 年", "promised": "1 年",
                                  "expires": "2023-01-01"}])
    result = run("fill", "warranty-card", "--data", str(data))
    assert result.exit_code == 2
    assert "保修期限 (periods)" in result.output


def test_an_unknown_item_to_leave_out_is_refused(run, tmp_path):
    data = write_sample(tmp_path, "warranty-card", omit=["garden"])
    result = run("fill", "warranty-card", "--data", str(data))
    assert result.exit_code == 2
    assert "不适用的保修项目 (omit): unknown item garden; the items are structure, roof" \
        in result.output


def test_completion_after_delivery_is_refused(run, home, tmp_path):
    data = write_sample(tmp_path, "warranty-card", completion_date="2025-07-01")
    result = run("fill", "warranty-card", "--data", str(data))
    assert result.exit_code == 2
    assert "竣工验收日期 (completion_date)" in result.output
    assert not (home / "output" / "warranty-card").exists()


def test_an_impossible_unquoted_date_is_refused_naming_the_field(run, home, tmp_path):
    import yaml

    sample = json.loads(write_sample(tmp_path, "warranty-card").read_text("utf-8"))
    sample.pop("delivery_date")
    data = tmp_path / "card.yaml"
    data.write_text(yaml.safe_dump(sample, allow_unicode=True) + "delivery_date: 2029-02-29\n",
                    "utf-8")
    result = run("fill", "warranty-card", "--data", str(data))
    assert result.exit_code == 2, result.output
    assert "交付日期 (delivery_date): must be a date like 2026-11-28; got '2029-02-29'" \
        in result.output


@pytest.mark.soffice
def test_the_docx_card_is_one_page_in_libreoffice(run, home, tmp_path):
    paths = filled_card(run, home, tmp_path)
    converted = libreoffice_pdfs([paths["docx"]], tmp_path)[paths["docx"]]
    assert len(PdfReader(str(converted)).pages) == 1
    assert "2030-03-18" in squash(pdftotext(converted))
