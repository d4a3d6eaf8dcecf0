"""Batches: many records from one sheet — reading sheets (sheets), running them (run)."""
