"""Django's SQLite backend, with writers that start the moment the write lock is free (base.py)."""
