# AEGIS_ORDER 4
# Mempool: admission rules, eviction, expiry, ranked selection (trusted core).
aegis_module(mempool DEPS crypto)
