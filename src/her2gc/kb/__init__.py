"""The knowledge base: clinical facts as validated, sourced data files."""
