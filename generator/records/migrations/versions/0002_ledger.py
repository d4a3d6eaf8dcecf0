"""One hash chain per ticket over its documents and events, reservations, checkpoints.

- documents and events get their place in their ticket's chain (`entry`); events get hashes;
  `chains` keeps every chain's head; events may belong to no ticket (the index's own chain);
- document paths become relative to the document store instead of the workspace, so one index
  can serve machines that mount a shared store in different places;
- `reservations` records every number taken, filed or voided; `checkpoints` holds signed
  statements of the history;
- indexes for listing by form and for walking chains in order.

Rows already in the index (from the version before) are checked against their old hash chain,
then linked into the new chains. A row that fails the old check stops the upgrade: carrying it
over would launder the tampering.

Revision ID: 0002
Revises: 0001
"""

import hashlib
import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import context, op

from generator.records import ledger

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_GENESIS = "0" * 64
OLD_HASHED = ("ticket", "form", "record_no", "format", "path", "sha256", "size", "created_at",
              "data", "template", "template_sha256", "prev_hash")


def key(length: int) -> sa.types.TypeEngine:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("entry", sa.Integer))
        batch.drop_index("documents_ticket")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("ticket", existing_type=key(40), nullable=True)
        batch.add_column(sa.Column("entry", sa.Integer))
        batch.add_column(sa.Column("prev_hash", sa.Text))
        batch.add_column(sa.Column("row_hash", sa.Text))
    op.create_index("documents_chain", "documents", ["ticket", "entry"])
    op.create_index("documents_form", "documents", ["form"])
    op.create_index("events_chain", "events", ["ticket", "entry"])

    op.create_table(
        "chains",
        sa.Column("name", key(40), primary_key=True),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form", sa.Text, nullable=False),
        sa.Column("record_no", sa.Text, nullable=False),
        sa.Column("ticket", key(40)),
        sa.Column("opens_ticket", sa.Boolean, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("reserved_at", sa.Text, nullable=False),
        sa.Column("settled_at", sa.Text),
        sa.Column("paths", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("reservations_state", "reservations", ["state"])
    # one live reservation per number: two builds of one rulebook version cannot both run
    live = sa.text("state <> 'voided'")
    op.create_index("reservations_number", "reservations", ["form", "record_no"], unique=True,
                    sqlite_where=live, postgresql_where=live)
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("manifest", sa.LargeBinary, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    carry_over(op.get_bind(), context.config.attributes.get("store_prefix", ""))


def old_hash(row) -> str:
    canonical = json.dumps([row[k] for k in OLD_HASHED], ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def carry_over(bind, store_prefix: str) -> None:
    """Link the rows of an index from the version before into the new chains."""
    meta = sa.MetaData()
    documents = sa.Table("documents", meta, autoload_with=bind)
    events = sa.Table("events", meta, autoload_with=bind)
    tickets = sa.Table("tickets", meta, autoload_with=bind)
    chains = sa.Table("chains", meta, autoload_with=bind)
    reservations = sa.Table("reservations", meta, autoload_with=bind)

    old_documents = [dict(r) for r in bind.execute(
        sa.select(documents).order_by(documents.c.id)).mappings()]
    if not old_documents and bind.execute(sa.select(sa.func.count()).select_from(
            events)).scalar() == 0:
        return  # a new index

    problems, heads = [], {}
    for row in old_documents:
        expected = heads.get(row["ticket"], OLD_GENESIS)
        if row["prev_hash"] != expected or old_hash(row) != row["row_hash"]:
            problems.append(f"document {row['id']} ({row['path']})")
        heads[row["ticket"]] = row["row_hash"]
    if problems:
        raise RuntimeError(
            "cannot upgrade the index: these rows were changed outside aftersales and no longer "
            "continue their hash chain: " + ", ".join(problems) + ". Restore the index from a "
            "backup, or inspect it with the aftersales version that wrote it (`aftersales "
            "index verify`)."
        )

    ticket_rows = {r["number"]: dict(r) for r in bind.execute(sa.select(tickets)).mappings()}
    for row in old_documents:
        if store_prefix and row["path"].startswith(store_prefix):
            row["path"] = row["path"][len(store_prefix):]
    by_chain = _in_filing_order(old_documents, [dict(r) for r in bind.execute(
        sa.select(events).order_by(events.c.id)).mappings()])

    records = {}  # (form, record_no) → ticket, paths, time
    for ticket, items in by_chain.items():
        head, entry = ledger.GENESIS, 0
        filed = [row for kind, row in items if kind == "event" and row["kind"] == "filed"]
        for kind, row in items:
            entry += 1
            if kind == "document":
                head = ledger.link("document", row, entry, head)
                bind.execute(documents.update().where(documents.c.id == row["id"]).values(
                    path=row["path"], entry=entry, prev_hash=row["prev_hash"],
                    row_hash=row["row_hash"]))
                record = records.setdefault((row["form"], row["record_no"]), {
                    "ticket": ticket, "paths": [], "at": row["created_at"]})
                record["paths"].append(row["path"])
                continue
            row["detail"] = _new_detail(row, ticket, ticket_rows, filed, old_documents)
            head = ledger.link("event", row, entry, head)
            bind.execute(events.update().where(events.c.id == row["id"]).values(
                detail=row["detail"], entry=entry, prev_hash=row["prev_hash"],
                row_hash=row["row_hash"]))
        bind.execute(chains.insert().values(name=ledger.chain_name(ticket), entries=entry,
                                            head=head))

    opened = {json.loads(r["detail"]).get("record_no") for items in by_chain.values()
              for kind, r in items if kind == "event" and r["kind"] == "opened"}
    for (form, record_no), record in records.items():
        bind.execute(reservations.insert().values(
            form=form, record_no=record_no, ticket=record["ticket"],
            opens_ticket=record_no in opened, state="filed", owner="upgrade",
            reserved_at=record["at"], settled_at=record["at"],
            paths=json.dumps(record["paths"]), note="filed before reservations were kept"))


def _in_filing_order(old_documents: list[dict], old_events: list[dict]) -> dict:
    """Each chain's rows as the version before wrote them, one fill at a time: its opened event,
    its documents, its filed event (ids grow with time within each table, but two fills in one
    second cannot be told apart by their times)."""
    documents_of = defaultdict(list)
    for row in old_documents:
        documents_of[(row["ticket"], row["form"], row["record_no"])].append(row)
    chains = defaultdict(list)
    for event in old_events:
        if event["kind"] == "filed":
            form, _, record_no = event["detail"].partition(" ")
            chains[event["ticket"]] += [("document", d) for d in documents_of.pop(
                (event["ticket"], form, record_no), [])]
        chains[event["ticket"]].append(("event", event))
    for rows in documents_of.values():  # documents of no ticket, which have no events
        chains[rows[0]["ticket"]] += [("document", d) for d in rows]
    return chains


def _new_detail(event, ticket, ticket_rows, filed, old_documents) -> str:
    """The old free-text detail ("complaint TS-2026-0001") as the new JSON detail."""
    text = event["detail"]
    if event["kind"] == "filed":
        form, _, record_no = text.partition(" ")
        paths = [d["path"] for d in old_documents
                 if d["ticket"] == ticket and d["form"] == form and d["record_no"] == record_no]
        detail = {"form": form, "record_no": record_no, "documents": paths}
    elif event["kind"] == "opened":
        first = next((json.loads(f["detail"]) if f["detail"].startswith("{") else
                      dict(zip(("form", "record_no"), f["detail"].split(" ", 1), strict=False))
                      for f in filed if f["at"] == event["at"]), {})
        number = ticket_rows[ticket]
        detail = {"form": text, "record_no": first.get("record_no", ""),
                  "state": number["state"],
                  "ticket_sha256": ledger.ticket_digest(ticket, number["opened_at"],
                                                        number["data"], number["state"])}
    else:
        detail = {"note": text}
    return json.dumps(detail, ensure_ascii=False, sort_keys=True)
