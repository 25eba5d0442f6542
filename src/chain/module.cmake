# AEGIS_ORDER 6
# The published batch chain: JSON export format and offline verification.
aegis_module(chain DEPS crypto batch keys tee LIBS PkgConfig::JANSSON)
