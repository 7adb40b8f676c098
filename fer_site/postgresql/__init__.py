"""Django's PostgreSQL backend with a pool that fails fast when the database is unreachable (see `base`)."""
