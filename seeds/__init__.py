"""Data loaders for a new back-office database.

- seeds.referentials.load_referentials(session): code tables, régions and
  départements, dispositifs, programmes and a sample of certifications, read
  from the CSV files of seeds/data/ (no run-time dependency outside the repo).
- seeds.demo.load_demo(session): a coherent demonstration base on top of them.
- seeds/extract_lheo.py regenerates the LHEO-derived CSV files.

Both loaders take a SQLAlchemy session, are idempotent and leave the commit to
the caller (`flask seed`, `flask seed-demo`, the test fixtures).
"""
