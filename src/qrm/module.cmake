# AEGIS_ORDER 2
# The QRM Monitor's scoring model: signals file (TOML) -> risk score
# (`aegis risk watch`, docs/internals/qrm.md). Pure, no I/O.
aegis_module(qrm DEPS toml util LIBS m PkgConfig::JANSSON)
