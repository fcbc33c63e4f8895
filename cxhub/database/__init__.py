"""How cxhub talks to its database beyond the ORM's defaults: the SQLite backend (sqlite/)."""
