"""Dagster orchestration of the whole pipeline."""
