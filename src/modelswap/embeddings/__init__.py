"""Embedding model migration: fingerprints, vector indexes (embedded and pgvector), aliases, churn.

Every module opens with what it is and what it is not; ``docs/embeddings.md`` is the guide.
"""
