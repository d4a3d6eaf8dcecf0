"""Benchmark: the quarterly summary (2026-Q3) over a synthetic index of 100,000 tickets.

The tickets are written straight into a fresh index (SQLAlchemy Core bulk inserts, no documents
filed, no hash chains: verify is not run) with the lives real ones have: opened from 2025-07 to
2026-09 (so the previous quarter and the same quarter a year before have data), of every kind,
category, urgency, building and responsible party; most closed through the main path with their
promised times met or not, some rejected, some still open at the time of the report (a few
stalled, so the overdue list is not empty); a follow-up visit filed for one repair in ten, and a
weekly repair register per repair party whose rows carry the repairs' costs.

For each size, in fresh processes (one to generate, one to measure, so the peak memory is the
summary's own), it measures:
1. generating the data (for information);
2. summarize() — the figures only, nothing written — as the median of --runs runs after one
   untimed run, with a breakdown taken inside one real call: every Figure.compute of
   generator/reports/figures.py for the quarter, the quarter before and the quarter a year
   before (the figures counted together in one query shown as one part), and summary.py's
   breakdowns, trend and overdue_list (aim: the figures <= 1 s);
3. build(formats="pdf") — the figures and the PDF, filed and indexed, each as one command would
   (its own workspace): the median of 2 after one untimed (aim: <= 3 s), beside a bare reportlab
   page drawn in the same run for scale;
4. peak memory: tracemalloc's peak during summarize(), during each part of it and during
   build(), and the measuring process's max RSS (aim: flat in the number of tickets).

PostgreSQL is measured as well when a server is given: --postgres URL, or
AFTERSALES_TEST_POSTGRES (the URL `scripts/postgres start` prints); a fresh database each time.

Run by hand (never part of the test suite):
    .venv/bin/python bench/summary.py [--sizes 10000,100000 | --tickets N] [--runs 3]
                                      [--postgres URL] [--backends sqlite,postgresql]
                                      [--home DIR] [--json]
Every size runs summarize() about a dozen times: minutes at 100,000 tickets while the figures
take tens of seconds.
--home DIR keeps the last generated workspace there (SQLite: DIR/index.sqlite3), to
look at the data or the queries afterwards. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fill import bare_reportlab_page  # noqa: E402 (bench/fill.py beside this)
from index import FOREIGN_ENV, conninfo, fresh_database, write_config  # noqa: E402

from generator.records.index import index_of  # noqa: E402
from generator.records.ledger import facts_text  # noqa: E402
from generator.records.schema import documents, fact_columns, period_columns, tickets  # noqa: E402
from generator.reports.figures import FIGURES  # noqa: E402
from generator.workspace import Workspace  # noqa: E402

KIND, PERIOD = "quarterly", "2026-Q3"
NOW = dt.datetime(2026, 10, 5, 9, 0)  # the report is drawn a few days after the quarter
FIRST_DAY, LAST_DAY = dt.date(2025, 7, 1), dt.date(2026, 9, 30)  # tickets opened
BATCH = 5000


def say(message: str) -> None:
    print(f"[bench/summary] {message}", file=sys.stderr, flush=True)


# --- the synthetic index ---------------------------------------------------------------------

BASE = dt.datetime(2025, 1, 1)  # times are minutes since then
DAY_TEXT = [(BASE.date() + dt.timedelta(days=n)).isoformat() for n in range(3 * 366)]
NOW_MINUTE = int((NOW - BASE).total_seconds() // 60)

KINDS = {"complaint": 80, "inquiry": 14, "suggestion": 6}
CATEGORIES = {"leakage": 20, "cracks": 14, "doors_windows": 14, "plumbing": 14,
              "electrical": 10, "walls_floors": 12, "fixtures": 10, "other": 6}
URGENCIES = {"normal": 80, "urgent": 17, "emergency": 3}
# reply hours, repair party's response hours, completion days (the default [deadlines] rules)
PROMISES = {"normal": (24, 24, 7), "urgent": (12, 12, 3), "emergency": (2, 2, 1)}
FOLLOWUP_DAYS = 3
CHANNELS = {"phone": 55, "visit": 20, "online": 20, "letter": 5}
PARTIES = {"builder": 50, "in_house": 35, "outsourced": 15}
BUILDERS = ["示例建设集团第三项目部", "恒达建工集团第一分公司", "华建安装工程有限公司"]
UNITS = {"in_house": "物业维修班", "outsourced": "示例市恒固建筑工程有限公司"}
CONTACTS = ["陈刚", "郑海", "刘洋", "周强", "吴磊", "孙涛"]
RECEIVERS = ["李娜", "王芳", "赵敏", "钱丽"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
DESCRIPTIONS = {
    "leakage": ["主卫生间顶棚渗水，楼下住户反映墙面有水渍。", "阳台窗台下方墙面渗水，雨天明显。",
                "厨房下水管接口处渗漏，橱柜底板已泡坏。"],
    "cracks": ["客厅墙面出现多条斜向裂缝，最长约一米。", "卧室顶棚沿板缝开裂。"],
    "doors_windows": ["主卧推拉窗关闭不严，下雨时窗台进水。", "入户门锁芯卡滞，钥匙难以转动。"],
    "plumbing": ["卫生间地漏排水缓慢，有返味。", "热水管压力不足，淋浴时水温忽冷忽热。"],
    "electrical": ["厨房插座跳闸，多次复位后仍跳。", "客厅吊顶灯具线路接触不良，时亮时灭。"],
    "walls_floors": ["客厅地砖空鼓，踩上去有响声。", "卧室木地板起拱，缝隙变大。"],
    "fixtures": ["可视对讲无图像，只有声音。", "燃气热水器排烟管松脱。"],
    "other": ["小区东门道闸经常抬杆不及时。", "楼道声控灯损坏。"],
}
REPAIRS = {
    "leakage": ("防水层修补，顶棚重新批灰刷漆", "聚氨酯防水涂料 5 kg；腻子、乳胶漆"),
    "cracks": ("裂缝切槽，挂网批灰，重新刷漆", "抗裂网、腻子、乳胶漆"),
    "doors_windows": ("更换窗扇密封胶条，调整五金", "三元乙丙胶条 6 m"),
    "plumbing": ("疏通地漏，更换存水弯", "PVC 存水弯 1 个"),
    "electrical": ("更换插座及漏电保护器", "漏电保护器 1 个，插座 2 个"),
    "walls_floors": ("空鼓地砖拆除重铺", "地砖 6 块，瓷砖胶 1 袋"),
    "fixtures": ("更换对讲分机", "对讲分机 1 台"),
    "other": ("现场调整维修", "—"),
}
FEEDBACK = ["维修及时，师傅态度很好。", "问题已解决，希望以后上门前提前通知。", "",
            "维修后仍有轻微渗水，请再看看。"]


def weighted(choices: dict[str, int]) -> tuple[list[str], list[int]]:
    keys = list(choices)
    total, cumulative = 0, []
    for key in keys:
        total += choices[key]
        cumulative.append(total)
    return keys, cumulative


def pick(rng: random.Random, table: tuple[list[str], list[int]]) -> str:
    return rng.choices(table[0], cum_weights=table[1])[0]


def stamp(minute: int) -> str:
    """Minutes since BASE as a business time, 'YYYY-MM-DD HH:MM'."""
    day, rest = divmod(minute, 1440)
    return f"{DAY_TEXT[day]} {rest // 60:02d}:{rest % 60:02d}"


def lognormal(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, int(median * rng.lognormvariate(0.0, sigma)))


def opening_days(rng: random.Random, count: int) -> list[int]:
    """The day (since BASE) each ticket is opened, sorted: fewer at weekends and around the
    Spring Festival, more in the rainy months, and slowly more as owners move in."""
    days, weights = [], []
    day = FIRST_DAY
    while day <= LAST_DAY:
        weight = 0.6 if day.weekday() >= 5 else 1.0
        weight *= 1.3 if day.month in (6, 7, 8, 9) else 1.0
        weight *= 0.3 if dt.date(2026, 2, 14) <= day <= dt.date(2026, 2, 23) else 1.0
        weight *= 1.0 + (day - FIRST_DAY).days / 900
        days.append((day - BASE.date()).days)
        weights.append(weight)
        day += dt.timedelta(days=1)
    return sorted(rng.choices(days, weights=weights, k=count))


def ticket_life(rng: random.Random, opened: int, kind: str, urgency: str, stall: str | None,
                ) -> tuple[dict[str, int], dict[str, int], dict]:
    """When the ticket reached each state, when each promise fell due, and who repaired it —
    as if nothing had happened after NOW (that is cut off by the caller)."""
    reply, response, completion = PROMISES[urgency]
    reached, due, who = {"received": opened}, {"reply": opened + reply * 60}, {}
    if kind != "complaint":  # answered on the spot, mostly within the hour
        reached["closed"] = opened + 5 + int(rng.expovariate(1 / 90))
        return reached, due, who
    if stall == "received":
        return reached, due, who
    t = reached["verifying"] = opened + lognormal(rng, 0.3 * reply * 60, 0.9)
    party = pick(rng, WEIGHTED_PARTIES)
    who.update(party=party, contact=rng.choice(CONTACTS),
               estimated_cost=f"{rng.randint(50, 5000)}.{rng.choice(['00', '50'])}")
    if party == "builder":
        who.update(builder=rng.choice(BUILDERS))
        who["unit"] = who["builder"]
    else:
        who["unit"] = UNITS[party]
    if rng.random() < 0.05:  # outside the warranty
        reached["rejected"] = t + rng.randint(120, 3 * 1440)
        return reached, due, who
    if stall == "verifying":
        return reached, due, who
    t = reached["assigned"] = t + lognormal(rng, 240, 0.8)
    due["site_check"], due["completion"] = t + response * 60, t + completion * 1440
    if stall == "assigned":
        return reached, due, who
    if party == "builder" and rng.random() < 0.06:  # the builder did not act: taken over
        t += response * 60 + rng.randint(60, 2 * 1440)
        who.update(party=rng.choice(["in_house", "outsourced"]), charge_back=True)
        who["unit"] = UNITS[who["party"]]
    else:
        t += lognormal(rng, 0.3 * response * 60, 0.9)
    reached["repairing"] = t
    if stall == "repairing":
        return reached, due, who
    t = reached["awaiting_acceptance"] = t + lognormal(rng, 0.3 * completion * 1440, 0.8)
    if stall == "awaiting_acceptance":
        return reached, due, who
    t = reached["accepted"] = t + rng.randint(60, 2 * 1440)
    due["followup"] = t + FOLLOWUP_DAYS * 1440
    if stall == "accepted":
        return reached, due, who
    if rng.random() < 0.1:  # sampled for a follow-up visit
        t = reached["followed_up"] = t + lognormal(rng, 1.5 * 1440, 0.6)
        reached["closed"] = t + rng.randint(720, 5 * 1440)
    else:
        reached["closed"] = t + (rng.randint(120, 2 * 1440) if rng.random() < 0.95
                                 else rng.randint(3 * 1440, 10 * 1440))
    return reached, due, who


WEIGHTED_PARTIES = weighted(PARTIES)
STALLS = ["received", "verifying", "assigned", "repairing", "awaiting_acceptance", "accepted"]
STATE_ORDER = ["received", "verifying", "assigned", "repairing", "awaiting_acceptance",
               "accepted", "followed_up", "closed", "rejected"]


def synthetic(count: int, seed: int):
    """Batches of rows: ("tickets", [...]) and ("followups", [...]) as they are made, then the
    weekly repair registers, ("registers", [...]) — each a dict of the document's data."""
    rng = random.Random(seed)
    kinds, categories, urgencies, channels = (weighted(t) for t in (
        KINDS, CATEGORIES, URGENCIES, CHANNELS))
    # buildings 1–24 draw very different numbers of complaints (some were built worse)
    building_weights = [rng.lognormvariate(0, 0.7) for _ in range(24)]
    serial: dict[str, int] = defaultdict(int)
    registers: dict[tuple[int, str], list[dict]] = defaultdict(list)
    batch, followups = [], []
    for day in opening_days(rng, count):
        opened = day * 1440 + min(1439, max(0, int(rng.gauss(11.5, 3.0) * 60)))
        if opened > NOW_MINUTE:
            continue
        year = DAY_TEXT[day][:4]
        serial[year] += 1
        number = f"SH-{year}-{serial[year]:06d}"
        kind, urgency = pick(rng, kinds), pick(rng, urgencies)
        category = pick(rng, categories)
        if category != "leakage" and DAY_TEXT[day][5:7] in ("06", "07", "08", "09") \
                and rng.random() < 0.15:
            category = "leakage"  # the rainy season
        building = rng.choices(range(1, 25), weights=building_weights)[0]
        room = f"{building}-{rng.randint(1, 4)}-{rng.randint(2, 32)}{rng.randint(1, 4):02d}"
        stall = rng.choice(STALLS) if rng.random() < 0.003 else None
        reached, due, who = ticket_life(rng, opened, kind, urgency, stall)
        # nothing after NOW has happened yet
        reached = {state: t for state, t in reached.items() if t <= NOW_MINUTE}
        due = {key: t for key, t in due.items()
               if key == "reply" or (key == "followup" and "accepted" in reached)
               or (key != "followup" and "assigned" in reached)}
        if "verifying" not in reached:
            who = {}
        elif "repairing" not in reached and who.pop("charge_back", None):
            who.update(party="builder", unit=who["builder"])
        state = max(reached, key=lambda s: (reached[s], STATE_ORDER.index(s)))
        owner = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        data = {
            "category": category, "channel": pick(rng, channels), "kind": kind,
            "description": rng.choice(DESCRIPTIONS[category]) + "业主要求尽快上门查看。",
            "owner_name": owner, "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            "promised_reply_at": stamp(due["reply"]) + ":00",
            "received_at": stamp(opened) + ":00", "received_by": rng.choice(RECEIVERS),
            "room": room, "urgency": urgency,
            **({"remarks": "业主白天不在家，上门前请先电话联系。"} if rng.random() < 0.3 else {}),
        }
        facts = {"category": category, "room": room, "urgency": urgency,
                 "opened": stamp(opened),
                 "reached": {s: stamp(t) for s, t in reached.items()},
                 "due": {k: stamp(t) for k, t in due.items()}, **who}
        filed = opened + rng.randint(1, 30)
        opened_at = f"{stamp(filed)}:{rng.randint(0, 59):02d}"
        batch.append({"number": number, "state": state, "opened_at": opened_at,
                      "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
                      "facts": facts_text(facts), **fact_columns(facts, opened_at)})
        if "followed_up" in reached:
            satisfaction = rng.choices(["satisfied", "fairly_satisfied", "unsatisfied"],
                                       weights=[70, 22, 8])[0]
            followups.append({"ticket": number, "at": reached["followed_up"], "data": {
                "attitude": "good", "comments": rng.choice(FEEDBACK),
                "method": rng.choice(["phone", "visit"]), "owner_name": owner, "room": room,
                "quality": "good", "satisfaction": satisfaction, "timeliness": "timely",
                "visited_at": stamp(reached["followed_up"]) + ":00",
                "visitor": rng.choice(RECEIVERS)}})
        if "awaiting_acceptance" in reached:
            done = reached["awaiting_acceptance"]
            party = who["party"]
            content, materials = REPAIRS[category]
            paid_by = ("builder" if party == "builder" or who.get("charge_back") else
                       rng.choices(["developer", "owner", "builder"], weights=[85, 10, 5])[0])
            week = done // 1440 - (BASE.date() + dt.timedelta(days=done // 1440)).weekday()
            registers[(week, party)].append({
                "arrived_at": stamp(reached["repairing"]) + ":00", "content": content,
                "date": DAY_TEXT[done // 1440], "finished_at": stamp(done) + ":00",
                "labour_cost": f"{rng.randint(4, 120) * 10}.00",
                "material_cost": f"{rng.randint(0, 8000) / 10:.2f}", "materials": materials,
                "paid_by": paid_by, "party": party, "room": room, "ticket_no": number,
                "worker": who["unit"] if party == "builder" else
                f"{who['unit']} {rng.choice(CONTACTS)}"})
        if len(batch) >= BATCH:  # the tickets first: the follow-ups refer to them
            yield "tickets", batch
            yield "followups", followups
            batch, followups = [], []
    yield "tickets", batch
    yield "followups", followups
    made = []
    for (week, _party), rows in sorted(registers.items()):
        filed = (week + 7) * 1440 + 9 * 60  # the Monday after the week
        if filed > NOW_MINUTE:
            continue  # not filed yet
        made.append({"at": filed, "data": {
            "compiled_by": "赵敏", "project": "示例花园一期",
            "period_from": DAY_TEXT[week], "period_to": DAY_TEXT[week + 6],
            "repairs": sorted(rows, key=lambda r: r["finished_at"])}})
        if len(made) >= 20:
            yield "registers", made
            made = []
    yield "registers", made


def document_rows(form: str, prefix: str, items: list[dict], serial: dict[str, int]
                  ) -> list[dict]:
    """Each filed document as the index keeps it: a DOCX and a PDF row (hashes made up)."""
    rows = []
    for item in items:
        year = stamp(item["at"])[:4]
        serial[year] += 1
        record_no = f"{prefix}-{year}-{serial[year]:04d}"
        data = json.dumps(item["data"], ensure_ascii=False, sort_keys=True)
        folder = item.get("ticket") or form
        for fmt in ("docx", "pdf"):
            rows.append({"ticket": item.get("ticket"), "entry": None, "form": form,
                         "record_no": record_no, "format": fmt,
                         "path": f"{folder}/{form}_{record_no}.{fmt}", "sha256": "0" * 64,
                         "size": 0, "created_at": stamp(item["at"] + 5) + ":00", "data": data,
                         "template": f"{form}.docx", "template_sha256": "0" * 64,
                         "prev_hash": "0" * 64, "row_hash": "0" * 64,
                         **period_columns(data)})
    return rows


def generate(home: str, url: str | None, count: int, seed: int) -> dict:
    """Fill a fresh index with `count` tickets and their follow-ups and registers."""
    started = time.perf_counter()
    write_config(Path(home), url)
    workspace = Workspace.open(home)
    records = index_of(workspace)
    conn = records.writer()  # the schema, through the migrations
    made = defaultdict(int)
    serials = {"followups": defaultdict(int), "registers": defaultdict(int)}
    for what, items in synthetic(count, seed):
        if not items:
            continue
        if what == "tickets":
            rows, table = items, tickets
        elif what == "followups":
            rows, table = document_rows("followup", "HF", items, serials[what]), documents
        else:
            rows, table = document_rows("repair-register", "WX", items, serials[what]), documents
        with conn.begin():
            conn.execute(table.insert(), rows)
        made[what] += len(items)
        if what == "registers":
            made["register_rows"] += sum(len(i["data"]["repairs"]) for i in items)
    records.close()
    workspace.close()
    if url:  # what autovacuum would have done by the time anyone reports
        import psycopg

        with psycopg.connect(conninfo(url), autocommit=True) as pg:
            pg.execute("VACUUM ANALYZE")
    return {"seconds": time.perf_counter() - started, **made}


# --- the measurements ------------------------------------------------------------------------


def max_rss_mb() -> float:
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / 1024 if sys.platform != "darwin" else kilobytes / 1024 / 1024


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def traced(action) -> tuple[float, object]:
    """Like timed, but tracemalloc's peak (MB) above what was allocated before the action
    (the caller has started tracemalloc)."""
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = action()
    return (tracemalloc.get_traced_memory()[1] - before) / 2**20, result


def parts(workspace: Workspace, gauge=timed) -> dict[str, dict[str, float]]:
    """What each piece of one summarize() costs by `gauge` (timed: seconds; traced: peak MB):
    every Figure.compute for each of its windows, whether to compare with a period
    (Reporting.any_before), and the tables summary.py adds — measured inside a real call, each
    piece wrapped for the duration, so the pieces are summarize's own calls."""
    from generator.records.reporting import Reporting
    from generator.reports import figures as F
    from generator.reports import periods
    from generator.reports import summary as S

    period = periods.parse(KIND, PERIOD, NOW.date())
    names = {(p.start_stamp, p.end_stamp): name for name, p in (
        ("current", period), ("previous", period.previous()), ("year_ago", period.year_ago()))
        if p is not None}
    ends = {end: name for (_, end), name in names.items()}
    found: dict[str, dict[str, float]] = defaultdict(dict)

    def figure_wrapped(figure):
        if figure.compute is None:  # counted with the others (Reporting.tally)
            return figure

        def compute(source, window):
            seconds, value = gauge(lambda: figure.compute(source, window))
            found[figure.key][names.get((window.start, window.end), window.start)] = seconds
            return value
        return dataclasses.replace(figure, compute=compute)

    every = F.compute

    def every_wrapped(source, window):
        """All the figures of a window: what is not one figure's own compute (the counts
        asked in one query) is the rest."""
        name = names.get((window.start, window.end), window.start)
        start = time.perf_counter()
        value = every(source, window)
        if gauge is timed:
            own = sum(found[f.key].get(name, 0.0) for f in figures if f.key in found)
            found["(counts, one query)"][name] = time.perf_counter() - start - own
        return value

    def table_wrapped(name: str, function):
        def wrapper(*args, **kwargs):
            seconds, value = gauge(lambda: function(*args, **kwargs))
            found[f"[{name}]"]["current"] = seconds
            return value
        return wrapper

    any_before = Reporting.any_before

    def any_before_wrapped(self, end):
        seconds, value = gauge(lambda: any_before(self, end))
        found["(any_before)"][ends.get(end, end)] = seconds
        return value

    figures = list(F.FIGURES)
    tables = {name: getattr(S, name) for name in ("breakdowns", "trend", "overdue_list")}
    F.FIGURES[:] = [figure_wrapped(figure) for figure in figures]
    F.compute = every_wrapped
    for name, function in tables.items():
        setattr(S, name, table_wrapped(name, function))
    Reporting.any_before = any_before_wrapped
    try:
        S.summarize(workspace, KIND, PERIOD, now=NOW)
    finally:
        F.FIGURES[:] = figures
        F.compute = every
        for name, function in tables.items():
            setattr(S, name, function)
        Reporting.any_before = any_before
    return found


def build_once(home: str):
    """`aftersales summary quarterly --period 2026-Q3 --format pdf`, as one command: its own
    workspace and index, opened and closed around it."""
    from generator.reports.summary import build

    workspace = Workspace.open(home)
    try:
        return build(workspace, KIND, PERIOD, formats="pdf", now=NOW)
    finally:
        workspace.close()


def measure(home: str, url: str | None, runs: int) -> dict:
    """In a fresh process: the summary's times and memory over the index in `home`."""
    from generator.render.fonts import find_cjk_font
    from generator.reports.summary import summarize

    write_config(Path(home), url)
    workspace = Workspace.open(home)
    result: dict = {}
    result["first_s"], summary = timed(lambda: summarize(workspace, KIND, PERIOD, now=NOW))
    data = summary.data
    result["figures"] = {figure.key: [None if row[k] is None else str(row[k])
                                      for k in ("value", "previous", "year_ago")]
                         for figure, row in zip(FIGURES, data["figures"], strict=True)}
    result["overdue_rows"] = len(data["overdue_list"])
    result["summarize_runs"] = [timed(lambda: summarize(workspace, KIND, PERIOD, now=NOW))[0]
                                for _ in range(runs)]
    result["summarize_s"] = statistics.median(result["summarize_runs"])
    result["parts"] = parts(workspace)
    result["rss_after_figures_mb"] = max_rss_mb()
    tracemalloc.start()
    result["summarize_peak_mb"] = traced(lambda: summarize(workspace, KIND, PERIOD, now=NOW))[0]
    result["part_peaks"] = parts(workspace, traced)
    tracemalloc.stop()

    font = find_cjk_font(workspace.config)
    bare_reportlab_page(font.name)  # warm-up: reportlab, the font
    pages = [timed(lambda: bare_reportlab_page(font.name))[0] for _ in range(20)]
    result["page_s"] = statistics.median(pages)
    result["first_build_s"], built = timed(lambda: build_once(home))
    result["pdf_kb"] = sum(d.size for d in built.filed.documents) / 1024
    builds = [timed(lambda: build_once(home))[0] for _ in range(2)]
    result["build_s"] = statistics.median(builds)
    tracemalloc.start()
    result["build_peak_mb"] = traced(lambda: build_once(home))[0]
    tracemalloc.stop()
    result["rss_mb"] = max_rss_mb()
    workspace.close()
    return result


def in_fresh_process(function, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def run_size(backend: str, server: str | None, count: int, runs: int, seed: int,
             keep: Path | None) -> dict:
    database = nullcontext(None) if server is None else fresh_database(server)
    with database as url, (nullcontext(str(keep)) if keep else
                           tempfile.TemporaryDirectory(prefix="aftersales-bench-")) as home:
        if keep:
            shutil.rmtree(keep, ignore_errors=True)
            keep.mkdir(parents=True)
        say(f"{backend}, {count} tickets: generating")
        made = in_fresh_process(generate, home, url, count, seed)
        say(f"  {made['tickets']} tickets, {made['followups']} follow-ups, "
            f"{made['registers']} registers ({made['register_rows']} rows) in "
            f"{made['seconds']:.1f} s; measuring")
        result = in_fresh_process(measure, home, url, runs)
        say(f"  summarize {result['summarize_s']:.2f} s, build {result['build_s']:.2f} s")
    return {"backend": backend, "tickets": count, "made": made, **result}


# --- output ----------------------------------------------------------------------------------


def print_table(runs: list[dict], runs_each: int) -> None:
    print(f"quarterly summary {PERIOD} as of {NOW:%Y-%m-%d %H:%M}; {os.cpu_count()} CPUs")
    print(f"{'backend':<11}{'tickets':>8}{'gen s':>7}{'figures s':>10}{'1st s':>7}"
          f"{'build s':>8}{'page ms':>8}{'build/page':>11}{'figs/page':>10}"
          f"{'trace MB':>9}{'build MB':>9}{'RSS MB':>8}")
    for run in runs:
        page = run["page_s"]
        print(f"{run['backend']:<11}{run['tickets']:>8}{run['made']['seconds']:>7.1f}"
              f"{run['summarize_s']:>10.3f}{run['first_s']:>7.2f}{run['build_s']:>8.3f}"
              f"{page * 1000:>8.1f}{run['build_s'] / page:>10.0f}x"
              f"{run['summarize_s'] / page:>9.0f}x{run['summarize_peak_mb']:>9.1f}"
              f"{run['build_peak_mb']:>9.1f}{run['rss_mb']:>8.0f}")
    print(f"(figures: summarize(), median of {runs_each} after one untimed run (1st); build: "
          "figures + PDF, filed and indexed; trace MB / build MB: tracemalloc peak of "
          "summarize() / build(); RSS: the measuring process's max; aims: figures <= 1 s, "
          "build <= 3 s, memory flat in tickets)")
    for run in runs:
        made = run["made"]
        print(f"\n{run['backend']}, {run['tickets']} tickets ({made['followups']} follow-ups, "
              f"{made['registers']} registers of {made['register_rows']} rows; overdue list "
              f"{run['overdue_rows']} rows; PDF {run['pdf_kb']:.0f} KB): seconds per part of "
              "one summarize()")
        windows = ("current", "previous", "year_ago")
        print(f"{'part':<24}{'2026-Q3':>9}{'previous':>9}{'year ago':>9}{'total':>8}{'share':>7}"
              f"{'peak MB':>8}   value (Q3 / previous / year ago)")
        whole = sum(sum(p.values()) for p in run["parts"].values())
        ordered = sorted(run["parts"].items(), key=lambda item: -sum(item[1].values()))
        counted = [(key, {}) for key in run["figures"] if key not in run["parts"]]
        for key, seconds in ordered + counted:
            total = sum(seconds.values())
            cells = "".join(f"{seconds[w]:>9.3f}" if w in seconds else f"{'':>9}"
                            for w in windows)
            timing = (f"{cells}{total:>8.3f}{total / whole:>7.0%}" if seconds else
                      f"{'(in the counts query)':>42}")
            value = run["figures"].get(key) or ""
            shown = " / ".join(str(v) for v in value) if value else ""
            peak = max(run["part_peaks"].get(key, {0: 0}).values())
            print(f"{key:<24}{timing}{peak:>8.1f}   {shown}")
        print(f"{'sum of parts':<24}{'':>27}{whole:>8.3f}   (summarize: "
              f"{run['summarize_s']:.3f})")
        print("(seconds: one pass, the calls summarize() makes, biggest first; (counts, one "
              "query): what figures.compute spends besides the figures' own computes — the "
              "figures counted together (Reporting.tally); (any_before): whether to compare "
              "with a period; [..]: summary.py's tables, for the quarter only; peak MB: "
              "tracemalloc's peak during the part, its largest window; a figure that reuses "
              "another's answer, like costs_recovered, shows ~0)")
    if len(runs) > 1:
        for backend in dict.fromkeys(run["backend"] for run in runs):
            mine = [run for run in runs if run["backend"] == backend]
            small, large = mine[0], mine[-1]
            if small is large:
                continue
            print(f"\n{backend}: from {small['tickets']} to {large['tickets']} tickets: figures "
                  f"x{large['summarize_s'] / small['summarize_s']:.1f}, build "
                  f"x{large['build_s'] / small['build_s']:.1f}; tracemalloc peak "
                  f"{large['summarize_peak_mb'] - small['summarize_peak_mb']:+.1f} MB "
                  f"(figures), {large['build_peak_mb'] - small['build_peak_mb']:+.1f} MB "
                  f"(build); max RSS {large['rss_mb'] - small['rss_mb']:+.0f} MB  "
                  f"(flat: +0)")


def integers(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=integers, default=[10_000, 100_000],
                        help="tickets in the synthetic indexes (default 10000,100000)")
    parser.add_argument("--tickets", type=int, help="one size only (the same as --sizes N)")
    parser.add_argument("--runs", type=int, default=3, help="timed summarize() runs per size")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", metavar="URL",
                        default=os.environ.get("AFTERSALES_TEST_POSTGRES") or None,
                        help="a PostgreSQL server whose user may create databases "
                             "(default: AFTERSALES_TEST_POSTGRES)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="which to measure (default: both; PostgreSQL only with a server)")
    parser.add_argument("--home", type=Path,
                        help="keep the last generated workspace here (emptied first)")
    parser.add_argument("--json", action="store_true", help="every figure as JSON")
    args = parser.parse_args()
    sizes = [args.tickets] if args.tickets else sorted(args.sizes)
    for name in FOREIGN_ENV:
        os.environ.pop(name, None)
    chosen = {b.strip() for b in args.backends.split(",") if b.strip()}
    if not chosen or chosen - {"sqlite", "postgresql"}:
        parser.error("--backends: sqlite, postgresql or both, comma-separated")
    backends: list[tuple[str, str | None]] = [("sqlite", None)] if "sqlite" in chosen else []
    if "postgresql" in chosen and args.postgres:
        backends.append(("postgresql", args.postgres))
    elif "postgresql" in chosen:
        say("no PostgreSQL server (--postgres URL or AFTERSALES_TEST_POSTGRES): SQLite only")
    if not backends:
        parser.error("nothing to measure: --backends postgresql needs --postgres URL")
    runs = [run_size(backend, server, count, args.runs, args.seed, args.home)
            for backend, server in backends for count in sizes]
    if args.json:
        print(json.dumps(runs, indent=2, default=str))
    else:
        print_table(runs, args.runs)


if __name__ == "__main__":
    main()
