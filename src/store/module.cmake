# AEGIS_ORDER 2
# store: durable host-side storage (envelope log, keyed records, meta).
# Backends: sqlite (WAL, default) and memory. See docs/internals/store.md.
aegis_module(store DEPS util LIBS PkgConfig::SQLITE3 Threads::Threads)
