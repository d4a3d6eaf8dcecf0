"""The records index, ticket numbers, configuration and workspace overrides, through the CLI.

Every test works in its own fresh workspace (`home`), once with the index in a real SQLite file
and once in a real PostgreSQL database (`backend`), and reads real documents back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.documents.forms import list_forms, load_form
from generator.workspace import Workspace
from tests.conftest import (
    docx_text,
    files_in_output,
    index_sql,
    pdf_text,
    pdftotext,
    sample_forms,
    squash,
    ticketless_forms,
    write_sample,
)

FORMS = sample_forms()
NO_TICKET = ticketless_forms()  # filed by the demo without a ticket
YEAR = dt.date.today().year
pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def demo(run, home) -> dict:
    """`aftersales demo` in the workspace: the sample ticket and its documents."""
    result = run("demo", "--json")
    assert result.exit_code == 0, result.output
    results = json.loads(result.output)
    ticket = results[0]["ticket"]
    assert all(r["ticket"] == (None if r["form"] in NO_TICKET else ticket) for r in results)
    return {"ticket": ticket, "results": results,
            "paths": [d["path"] for r in results for d in r["documents"]],
            "ticketed": [d["path"] for r in results if r["ticket"] for d in r["documents"]]}


# --- index list --------------------------------------------------------------------------------


def test_list_on_an_empty_workspace(run):
    result = run("index", "list")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no documents"
    result = run("index", "list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


def test_list_human_and_json(run, demo):
    result = run("index", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(demo["paths"]) == 2 * len(FORMS)
    for line, path in zip(lines, demo["paths"], strict=True):
        assert line.rstrip().endswith(path)
        assert (demo["ticket"] in line) == (path in demo["ticketed"])

    result = run("index", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["path"] for r in rows] == demo["paths"]
    assert {r["form"] for r in rows} == set(FORMS)
    assert {r["format"] for r in rows} == {"docx", "pdf"}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    for row in rows:
        assert row["ticket"] == (None if row["form"] in NO_TICKET else demo["ticket"])
        assert "data" not in row  # the list leaves the input out; `index show` has it


def test_list_filters_by_ticket_and_form(run, demo, tmp_path):
    second = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert second.exit_code == 0, second.output
    other = json.loads(second.output)["ticket"]
    assert other != demo["ticket"]

    rows = json.loads(run("index", "list", "--ticket", other, "--json").output)
    assert [r["path"] for r in rows] == [d["path"] for d in json.loads(second.output)["documents"]]
    assert {r["ticket"] for r in rows} == {other}

    rows = json.loads(run("index", "list", "--ticket", demo["ticket"], "--json").output)
    assert [r["path"] for r in rows] == demo["ticketed"]

    rows = json.loads(run("index", "list", "--form", "complaint", "--json").output)
    assert len(rows) == 4 and {r["form"] for r in rows} == {"complaint"}
    assert {r["ticket"] for r in rows} == {demo["ticket"], other}

    rows = json.loads(run("index", "list", "--form", "followup", "--ticket", other,
                          "--json").output)
    assert rows == []

    human = run("index", "list", "--form", "feedback")
    assert human.exit_code == 0, human.output
    lines = human.output.strip().splitlines()
    assert len(lines) == 2 and all("feedback" in line for line in lines)


def test_list_unknown_ticket(run, demo):
    result = run("index", "list", "--ticket", "SH-2099-999999")
    assert result.exit_code == 2, result.output
    assert "unknown ticket SH-2099-999999" in result.output


# --- index show --------------------------------------------------------------------------------


def test_show_by_id_and_by_path(run, home, complaint, workspace):
    sample = load_form(workspace, "complaint").sample
    by_id = {}
    for document in complaint["documents"]:
        listed = json.loads(run("index", "list", "--json").output)
        doc_id = next(r["id"] for r in listed if r["path"] == document["path"])
        result = run("index", "show", str(doc_id), "--json")
        assert result.exit_code == 0, result.output
        row = json.loads(result.output)
        by_path = run("index", "show", document["path"], "--json")
        assert by_path.exit_code == 0, by_path.output
        assert json.loads(by_path.output) == row
        by_id[document["format"]] = row

        file = home / row["path"]
        assert row["id"] == doc_id
        assert row["ticket"] == complaint["ticket"]
        assert row["form"] == "complaint"
        assert row["record_no"] == complaint["record_no"]
        assert row["format"] == document["format"]
        assert row["path"] == document["path"]
        assert not Path(row["path"]).is_absolute()
        assert row["path"] == f"output/{complaint['ticket']}/complaint_{complaint['record_no']}" \
                              f".{document['format']}"
        content = file.read_bytes()
        assert row["sha256"] == hashlib.sha256(content).hexdigest() == document["sha256"]
        assert row["size"] == len(content)
        created = dt.datetime.fromisoformat(row["created_at"])
        assert abs((dt.datetime.now() - created).total_seconds()) < 300
        # the validated input: codes as given, dates completed to ISO with seconds
        data = row["data"]
        for key in ("owner_name", "room", "phone", "channel", "kind", "category", "urgency",
                    "description", "received_by", "remarks"):
            assert data[key] == sample[key], key
        assert data["received_at"] == "2026-11-16 09:30:00"
        assert re.fullmatch(r"[0-9a-f]{64}", row["template_sha256"])

    docx_row, pdf_row = by_id["docx"], by_id["pdf"]
    assert docx_row["data"] == pdf_row["data"]
    bundled = Workspace.open(None)
    assert docx_row["template"] == "bundled:templates/complaint.docx"
    assert docx_row["template_sha256"] == hashlib.sha256(
        bundled.find("templates", "complaint.docx").read_bytes()).hexdigest()
    assert pdf_row["template"] == "bundled:forms/complaint.yaml"
    assert pdf_row["template_sha256"] == hashlib.sha256(
        bundled.find("forms", "complaint.yaml").read_bytes()).hexdigest()


def test_show_human(run, complaint):
    path = complaint["documents"][0]["path"]
    result = run("index", "show", path)
    assert result.exit_code == 0, result.output
    for key in ("id", "ticket", "form", "format", "path", "sha256", "size", "created_at",
                "template", "template_sha256"):
        assert re.search(rf"^{key}\s", result.output, re.M), key
    assert f"ticket           {complaint['ticket']}" in result.output
    assert f"path             {path}" in result.output
    assert "data:" in result.output and '"owner_name": "张伟"' in result.output


@pytest.mark.parametrize("doc", ["999", "output/nosuch.pdf"])
def test_show_unknown_document(run, complaint, doc):
    result = run("index", "show", doc)
    assert result.exit_code == 2, result.output
    assert f"no document '{doc}' in the index" in result.output


# --- index verify ------------------------------------------------------------------------------


def verify(run) -> tuple[int, str]:
    result = run("index", "verify")
    return result.exit_code, result.output


def test_verify_clean(run, demo):
    code, output = verify(run)
    assert code == 0, output
    assert f"OK: {len(demo['paths'])} documents verified" in output
    result = run("index", "verify", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {k: report[k] for k in ("ok", "documents", "problems")} == {
        "ok": True, "documents": 2 * len(FORMS), "problems": []}
    assert report["checkpoint"] is None
    assert any(n.startswith("no checkpoint yet") for n in report["notes"])


def test_verify_empty_workspace(run):
    code, output = verify(run)
    assert code == 0, output
    assert "OK: 0 documents verified" in output


def test_verify_catches_a_changed_file(run, home, demo):
    path = demo["paths"][3]
    with open(home / path, "ab") as handle:
        handle.write(b"\0")
    code, output = verify(run)
    assert code == 1, output
    assert f"changed: {path}" in output
    assert "1 problem(s)" in output
    assert "missing:" not in output and "unindexed:" not in output


def test_verify_catches_a_missing_file(run, home, demo):
    path = demo["paths"][0]
    (home / path).unlink()
    code, output = verify(run)
    assert code == 1, output
    assert f"missing: {path}" in output
    assert "1 problem(s)" in output


def test_verify_catches_an_unindexed_file(run, home, demo):
    (home / "output" / "stray.pdf").write_bytes(b"%PDF-1.4 not ours")
    nested = home / "output" / demo["ticket"] / "complaint_TS-copy.docx"
    nested.write_bytes((home / demo["paths"][0]).read_bytes())
    code, output = verify(run)
    assert code == 1, output
    assert "unindexed: output/stray.pdf" in output
    assert f"unindexed: output/{demo['ticket']}/complaint_TS-copy.docx" in output
    assert "2 problem(s)" in output


def test_verify_catches_a_tampered_row(run, home, demo):
    index_sql(home, "UPDATE documents SET data = :data WHERE id = 3",
              data=json.dumps({"owner_name": "someone else"}))
    code, output = verify(run)
    assert code == 1, output
    assert "tampered index row: document 3" in output


def test_verify_catches_a_deleted_row(run, home, demo):
    index_sql(home, "DELETE FROM documents WHERE id = 3")
    code, output = verify(run)
    assert code == 1, output
    # the file is now unindexed and the next row no longer continues the chain
    assert f"unindexed: {demo['paths'][2]}" in output
    assert "tampered index row: document 4" in output


def test_verify_json_names_every_problem(run, home, demo):
    changed, missing = demo["paths"][1], demo["paths"][2]
    with open(home / changed, "ab") as handle:
        handle.write(b"x")
    (home / missing).unlink()
    (home / "output" / "stray.txt").write_text("hello", "utf-8")
    result = run("index", "verify", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["documents"] == 2 * len(FORMS)
    problems = report["problems"]
    assert len(problems) == 3, problems
    assert any(p.startswith(f"changed: {changed}") for p in problems)
    assert any(p.startswith(f"missing: {missing}") for p in problems)
    assert any(p.startswith("unindexed: output/stray.txt") for p in problems)


def test_configured_output_and_index_locations(run, home, tmp_path, backend):
    (home / "aftersales.toml").write_text(
        '[documents]\noutput = "docs"\n[index]\npath = "records/idx.sqlite3"\n', "utf-8")
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    paths = [d["path"] for d in json.loads(result.output)["documents"]]
    assert all(p.startswith("docs/") and (home / p).is_file() for p in paths)
    # [index] path is SQLite's; a server (AFTERSALES_INDEX_URL) wins over it
    assert (home / "records" / "idx.sqlite3").is_file() == (backend == "sqlite")
    assert not (home / "output").exists()
    code, output = verify(run)
    assert code == 0 and "OK: 2 documents verified" in output, output
    (home / "docs" / "stray.docx").write_bytes(b"x")
    code, output = verify(run)
    assert code == 1 and "unindexed: docs/stray.docx" in output, output


@pytest.mark.parametrize("where", ["outside", "absolute"])
def test_documents_may_live_outside_the_workspace(run, home, tmp_path, where):
    """A centre's machines share one folder for documents: the index names each document by its
    path in that folder, and shows it in full."""
    target = tmp_path / "shared"
    value = "../shared" if where == "outside" else target.as_posix()
    (home / "aftersales.toml").write_text(f'[documents]\noutput = "{value}"\n', "utf-8")
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for document in report["documents"]:
        path = Path(document["path"])
        assert path.is_absolute() and path.is_file() and path.is_relative_to(target.resolve())
        row = json.loads(run("index", "show", document["path"], "--json").output)
        assert row["path"] == document["path"]
    stored = index_sql(home, "SELECT path FROM documents ORDER BY id")
    assert [r["path"] for r in stored] == [
        f"{report['ticket']}/complaint_{report['record_no']}.{fmt}" for fmt in ("docx", "pdf")]
    code, output = verify(run)
    assert code == 0 and "OK: 2 documents verified" in output, output
    (target / "stray.pdf").write_bytes(b"x")
    code, output = verify(run)
    assert code == 1 and f"unindexed: {(target / 'stray.pdf').resolve()}" in output, output


# --- tickets -----------------------------------------------------------------------------------


def test_first_complaint_opens_the_first_ticket(run, tmp_path):
    data = str(write_sample(tmp_path, "complaint"))
    result = run("fill", "complaint", "--data", data)
    assert result.exit_code == 0, result.output
    assert f"Opened ticket SH-{YEAR}-000001" in result.output
    assert f"complaint TS-{YEAR}-0001 (ticket SH-{YEAR}-000001):" in result.output
    second = json.loads(run("fill", "complaint", "--data", data, "--json").output)
    assert second["ticket"] == f"SH-{YEAR}-000002"
    assert second["record_no"] == f"TS-{YEAR}-0002"


def test_ticket_prefix_from_configuration(run, home, tmp_path):
    (home / "aftersales.toml").write_text('[tickets]\nprefix = "QA"\n', "utf-8")
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ticket"] == f"QA-{YEAR}-000001"
    assert all(d["path"].startswith(f"output/QA-{YEAR}-000001/") for d in report["documents"])


def test_attached_form_needs_a_ticket(run, home, tmp_path):
    result = run("fill", "feedback", "--data", str(write_sample(tmp_path, "feedback")),
                 "--no-prompt")
    assert result.exit_code == 2, result.output
    assert "give --ticket" in result.output
    assert files_in_output(home) == []


@pytest.mark.parametrize("name", ["feedback", "complaint", "repair-register"])
def test_unknown_ticket(run, home, tmp_path, complaint, name):
    before = files_in_output(home)
    result = run("fill", name, "--data", str(write_sample(tmp_path, name)),
                 "--ticket", "SH-2099-999999", "--no-prompt")
    assert result.exit_code == 2, result.output
    assert "unknown ticket SH-2099-999999" in result.output
    assert files_in_output(home) == before
    assert len(json.loads(run("index", "list", "--json").output)) == 2


def test_attached_form_joins_the_ticket(run, home, tmp_path, complaint):
    result = run("fill", "feedback", "--data", str(write_sample(tmp_path, "feedback")),
                 "--ticket", complaint["ticket"], "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ticket"] == complaint["ticket"]
    assert report["record_no"] == f"FK-{YEAR}-0001"
    assert all(d["path"].startswith(f"output/{complaint['ticket']}/")
               for d in report["documents"])
    assert verify(run)[0] == 0


def test_complaint_with_a_ticket_joins_it(run, tmp_path, complaint):
    """A repeat complaint on an open ticket is filed under it and opens no new ticket."""
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--ticket", complaint["ticket"])
    assert result.exit_code == 0, result.output
    assert "Opened ticket" not in result.output
    assert f"complaint TS-{YEAR}-0002 (ticket {complaint['ticket']}):" in result.output
    rows = json.loads(run("index", "list", "--ticket", complaint["ticket"], "--json").output)
    assert len(rows) == 4
    third = json.loads(run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                           "--json").output)
    assert third["ticket"] == f"SH-{YEAR}-000002"


def test_the_index_is_one_storage_module():
    """Only generator/records speaks SQL (so another database can take its place)."""
    package = Path(__import__("generator").__file__).parent
    sql = re.compile(r"^\s*(import|from)\s+(sqlite3|sqlalchemy|psycopg)", re.M)
    speaking = {p.relative_to(package).parts[0] for p in package.rglob("*.py")
                if sql.search(p.read_text("utf-8"))}
    assert speaking == {"records"}


# --- configuration -----------------------------------------------------------------------------


def test_company_and_centre_from_configuration(run, home, tmp_path):
    (home / "aftersales.toml").write_text(
        '[company]\nname = "测试置业集团有限公司"\nphone = "0571-12345678"\n'
        '[centre]\nname = "绿城售后服务部"\n', "utf-8")
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    paths = {d["format"]: home / d["path"] for d in json.loads(result.output)["documents"]}

    header = "\n".join(p.text for s in docx.Document(str(paths["docx"])).sections
                       for p in s.header.paragraphs)
    assert "测试置业集团有限公司" in header
    assert "绿城售后服务部" in header
    for text in (pdf_text(paths["pdf"]), pdftotext(paths["pdf"])):
        assert "测试置业集团有限公司" in squash(text)
        assert "绿城售后服务部" in squash(text)
        assert "示例置业有限公司" not in squash(text)


def test_documents_show_every_configured_contact(run, home, tmp_path):
    """Issue item 1: [company] name, address, phone and [centre] name, phone — "documents show
    these values"."""
    configured = {
        ("company", "name"): "测试置业集团有限公司",
        ("company", "address"): "杭州市西湖区测试路 88 号",
        ("company", "phone"): "0571-12345678",
        ("centre", "name"): "绿城售后服务部",
        ("centre", "phone"): "400-999-0000",
    }
    toml = "[company]\n" + "".join(f'{k} = "{v}"\n' for (t, k), v in configured.items()
                                   if t == "company")
    toml += "[centre]\n" + "".join(f'{k} = "{v}"\n' for (t, k), v in configured.items()
                                   if t == "centre")
    (home / "aftersales.toml").write_text(toml, "utf-8")
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    paths = {d["format"]: home / d["path"] for d in json.loads(result.output)["documents"]}
    texts = {"docx": docx_text(paths["docx"]), "pdf": pdftotext(paths["pdf"])}
    for fmt, text in texts.items():
        missing = [f"{t}.{k} ({v})" for (t, k), v in configured.items()
                   if squash(v) not in squash(text)]
        assert not missing, f"the {fmt} does not show {missing}"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[company]\nnmae = "X"\n', "unknown key 'company.nmae'"),
        ('[ticket]\nprefix = "QA"\n', "unknown key 'ticket'"),
        ('[tickets]\ndigits = "6"\n', "'tickets.digits' must be a whole number, not '6'"),
        ('[company]\nname = \n', "aftersales.toml"),
    ],
)
def test_bad_configuration(run, home, toml, message):
    (home / "aftersales.toml").write_text(toml, "utf-8")
    for args in (("forms", "list"), ("index", "list"), ("demo",)):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert files_in_output(home) == []


# --- workspace overrides -----------------------------------------------------------------------


def test_workspace_template_overrides_the_bundled_one(run, home, tmp_path):
    result = run("forms", "template", "complaint")
    assert result.exit_code == 0, result.output
    own = home / "templates" / "complaint.docx"
    assert f"wrote {own}" in result.output
    document = docx.Document(str(own))
    document.add_paragraph("WORKSPACE TEMPLATE")
    document.save(str(own))
    assert "{{" in docx_text(own)  # the tags are still there

    again = run("forms", "template", "complaint")
    assert again.exit_code == 2, again.output
    assert "exists; use --force" in again.output

    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    paths = {d["format"]: home / d["path"] for d in report["documents"]}
    text = docx_text(paths["docx"])
    assert "WORKSPACE TEMPLATE" in text
    assert "张伟" in text and report["ticket"] in text
    assert "{{" not in text

    row = json.loads(run("index", "show", report["documents"][0]["path"], "--json").output)
    assert row["template"] == "templates/complaint.docx"
    assert row["template_sha256"] == hashlib.sha256(own.read_bytes()).hexdigest()
    # the other forms still use their bundled templates
    assert load_form(Workspace.open(home), "feedback")
    assert Workspace.open(home).find("templates", "feedback.docx") != home / "templates" / \
        "feedback.docx"


def test_workspace_form_overrides_the_bundled_one(run, home, tmp_path):
    bundled = Workspace.open(None).find("forms", "complaint.yaml")
    (home / "forms").mkdir()
    text = bundled.read_text("utf-8").replace("title: {zh: 投诉/咨询/建议记录表",
                                             "title: {zh: 本地投诉记录表", 1)
    assert "本地投诉记录表" in text
    (home / "forms" / "complaint.yaml").write_text(text, "utf-8")
    result = run("forms", "list", "--json")
    assert result.exit_code == 0, result.output
    titles = {r["form"]: r["title"] for r in json.loads(result.output)}
    assert titles["complaint"] == "本地投诉记录表"
    assert titles["feedback"] == "信息反馈记录表"
    result = run("fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")),
                 "--json")
    assert result.exit_code == 0, result.output
    pdf = next(home / d["path"] for d in json.loads(result.output)["documents"]
               if d["format"] == "pdf")
    assert "本地投诉记录表" in squash(pdf_text(pdf))


def test_aftersales_home_environment_variable(home, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    runner = CliRunner(env={"AFTERSALES_HOME": str(home)})
    result = runner.invoke(cli, ["demo", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    paths = [d["path"] for r in json.loads(result.output) for d in r["documents"]]
    assert paths and all((home / p).is_file() for p in paths)
    assert not (elsewhere / "output").exists()
    result = runner.invoke(cli, ["index", "verify"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"OK: {len(paths)} documents verified" in result.output


def test_current_directory_is_the_default_workspace(home, tmp_path, monkeypatch):
    monkeypatch.delenv("AFTERSALES_HOME", raising=False)
    monkeypatch.chdir(home)
    result = CliRunner().invoke(
        cli, ["fill", "complaint", "--data", str(write_sample(tmp_path, "complaint")), "--json"],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for document in json.loads(result.output)["documents"]:
        assert (home / document["path"]).is_file()


def test_home_must_be_a_directory(tmp_path):
    missing = tmp_path / "nosuch"
    result = CliRunner().invoke(cli, ["index", "list", "--home", str(missing)],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "is not a directory" in result.output


# --- forms list / show -------------------------------------------------------------------------


def test_forms_list(run, workspace):
    result = run("forms", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(list_forms(workspace))
    for name in FORMS:
        form = load_form(workspace, name)
        line = next(ln for ln in lines if ln.split()[0] == name)
        assert form.code in line and form.title("zh") in line

    result = run("forms", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["form"]: r for r in json.loads(result.output)}
    assert set(FORMS) <= set(rows)
    assert rows["complaint"] == {"form": "complaint", "code": "SH-JL-01",
                                 "title": "投诉/咨询/建议记录表", "ticket": "opens"}
    assert rows["feedback"]["ticket"] == "requires"
    assert rows["repair-register"]["ticket"] == "optional"


@pytest.mark.parametrize("name", FORMS)
def test_forms_show_lists_every_field(run, workspace, name):
    form = load_form(workspace, name)
    result = run("forms", "show", name)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert form.title("zh") in lines[0] and form.code in lines[0]
    for key, fld in form.fields.items():
        assert re.search(rf"^\s+{re.escape(key)}\s+{re.escape(fld.label('zh'))}\s", result.output,
                         re.M), key
        for col_key, col in fld.columns.items():
            assert re.search(rf"^\s+{re.escape(col_key)}\s+{re.escape(col.label('zh'))}\s",
                             result.output, re.M), f"{key}[].{col_key}"


def test_forms_show_choices_and_requirement(run):
    result = run("forms", "show", "complaint")
    assert result.exit_code == 0, result.output
    channel = next(ln for ln in result.output.splitlines() if ln.strip().startswith("channel"))
    assert "受理方式" in channel and "required" in channel
    assert "phone (电话)" in channel and "visit (来访)" in channel
    room = next(ln for ln in result.output.splitlines() if ln.strip().startswith("room"))
    assert "format: building-unit-room, like 3-2-1203" in room


def test_forms_show_json(run, workspace):
    result = run("forms", "show", "complaint", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert set(shown) == {"form", "title", "schema"}
    assert shown["form"] == "complaint"
    assert shown["title"] == "投诉/咨询/建议记录表"
    form = load_form(workspace, "complaint")
    assert shown["schema"] == json.loads(json.dumps(form.schema, default=str))
    assert set(shown["schema"]) == set(form.fields)
    assert shown["schema"]["owner_name"]["meta"]["label"] == {"zh": "业主姓名", "en": "Owner"}
    assert shown["schema"]["channel"]["allowed"] == ["phone", "visit", "letter", "online"]
    assert shown["schema"]["owner_name"]["required"] is True


def test_forms_show_unknown(run):
    result = run("forms", "show", "nosuch")
    assert result.exit_code == 2, result.output
    assert "unknown form 'nosuch'" in result.output
    assert re.search(r"known forms: [a-z, -]*\bcomplaint, ", result.output), result.output


def test_fill_unknown_form(run, home):
    result = run("fill", "nosuch", "--no-prompt")
    assert result.exit_code == 2, result.output
    assert "unknown form 'nosuch'" in result.output
    assert files_in_output(home) == []
