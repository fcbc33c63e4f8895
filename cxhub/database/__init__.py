"""How cxhub talks to its database beyond the ORM's defaults: the SQLite backend (sqlite/) and queries whose SQL
is built once (prepared.py), both for the chat message path."""
