"""Documents computed from the records: the monthly settlement and charge-back lists (and, to
come, the summaries), filed through the same path as every other document."""
