"""Readers and writers: case files, sequencing files, report renderings."""
