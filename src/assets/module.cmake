# AEGIS_ORDER 5
# Asset registry, admin requests, audit log, enforcement and sealed
# off-chain data (include/aegis/assets.h, docs/internals/assets.md).
aegis_module(assets DEPS json crypto envelope keys tee tx LIBS PkgConfig::JANSSON)
