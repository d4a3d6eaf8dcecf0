"""Warranty periods to the law: the legal minimums as data (templates/warranty/law.yaml), the
company's promises as configuration ([warranty] in aftersales.toml), and the date arithmetic of
民法典 arts. 201–203 that turns them into expiry dates."""
