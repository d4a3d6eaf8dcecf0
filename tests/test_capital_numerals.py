"""Amounts in Chinese capital numerals (大写), as a contract's price is written: the 零 rules,
角 and 分, 整, the unit boundaries and the largest amount a document may carry."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from generator.documents.compute import MONEY_MAX, capital_yuan

CASES = [
    # 零 for a run of missing digits, once, never at the end of the yuan
    ("1001", "壹仟零壹元整"),
    ("10010", "壹万零壹拾元整"),
    ("100000", "壹拾万元整"),
    ("1010000", "壹佰零壹万元整"),
    ("100010000", "壹亿零壹万元整"),
    ("100000001", "壹亿零壹元整"),
    ("1100000001", "壹拾壹亿零壹元整"),
    # a section that starts with its top digit needs no 零 before it (the payment rules allow
    # either; the module writes none): 壹拾万柒仟, not 壹拾万零柒仟
    ("10001000", "壹仟万壹仟元整"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("110000", "壹拾壹万元整"),
    # 角 and 分; 整 only when there are no 分 (the module's convention, as banks write it)
    ("0.05", "伍分"),
    ("0.50", "伍角整"),
    ("0.55", "伍角伍分"),
    ("1.05", "壹元零伍分"),
    ("10.50", "壹拾元伍角整"),
    ("100.05", "壹佰元零伍分"),
    ("12345.60", "壹万贰仟叁佰肆拾伍元陆角整"),
    ("0.00", "零元整"),
    ("0.004", "零元整"),
    ("0.005", "壹分"),  # half-up to the fen
    # the unit boundaries
    ("9999.99", "玖仟玖佰玖拾玖元玖角玖分"),
    ("10000", "壹万元整"),
    ("99999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("100000000", "壹亿元整"),
    ("1e8", "壹亿元整"),
    # 万亿 is a 万 of 亿, not a unit of its own
    ("1000000000000", "壹万亿元整"),
    ("1000100000000", "壹万零壹亿元整"),
    ("1000000010000", "壹万亿零壹万元整"),
    ("1000000000001", "壹万亿零壹元整"),
    ("1010101010101.01", "壹万零壹佰零壹亿零壹佰零壹万零壹佰零壹元零壹分"),
    (str(MONEY_MAX), "玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("9999999999999999.99",
     "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("-1.50", "负壹元伍角整"),
]


@pytest.mark.parametrize(("amount", "words"), CASES)
def test_an_amount_in_capitals(amount, words):
    assert capital_yuan(amount) == words


@pytest.mark.parametrize("amount", ["1e16", "9999999999999999.995", 1e16, "inf", "nan",
                                    float("nan"), "1e30", "yuan"])
def test_beyond_the_capitals_or_not_an_amount_is_a_value_error(amount):
    with pytest.raises(ValueError):
        capital_yuan(amount)


DIGIT = {char: value for value, char in enumerate("零壹贰叁肆伍陆柒捌玖")}


def _read(words: str) -> int:
    """Capitals back to a number (零 ignored): the test's own reading, by splitting at the
    last 亿, then the last 万, then the places in a group."""
    if "亿" in words:
        high, low = words.rsplit("亿", 1)
        return _read(high) * 10**8 + _read(low)
    if "万" in words:
        high, low = words.rsplit("万", 1)
        return _read(high) * 10**4 + _read(low)
    total, digit = 0, 0
    for char in words:
        if char in DIGIT:
            digit = DIGIT[char]
        else:
            total += digit * 10 ** "拾佰仟".index(char) * 10
            digit = 0
    return total + digit


def read_back(words: str) -> Decimal:
    yuan, _, fraction = words.removesuffix("整").rpartition("元")
    if not _ and "元" not in words:
        yuan, fraction = "", words.removesuffix("整")
    jiao = DIGIT[fraction[fraction.index("角") - 1]] if "角" in fraction else 0
    fen = DIGIT[fraction[fraction.index("分") - 1]] if "分" in fraction else 0
    return Decimal(_read(yuan)) + Decimal(jiao) / 10 + Decimal(fen) / 100


def test_every_amount_up_to_the_maximum_reads_back_and_keeps_the_zero_rules():
    chooser = random.Random(20261201)
    amounts = [Decimal(chooser.randint(0, int(MONEY_MAX * 100))) / 100 for _ in range(3000)]
    # numbers full of zeros, where the 零 rules bite
    amounts += [Decimal(int("".join(chooser.choice("0001") for _ in range(15)))) / 100
                for _ in range(3000)]
    for amount in amounts:
        words = capital_yuan(amount)
        assert read_back(words) == amount, (amount, words)
        assert "零零" not in words and "零元" not in words.replace("零元整", ""), (amount, words)
        assert not words.startswith("零") or amount == 0, (amount, words)
        assert words.endswith("整") == (amount % Decimal("0.1") == 0), (amount, words)
