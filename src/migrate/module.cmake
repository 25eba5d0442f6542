# AEGIS_ORDER 6
# Checkpoints (PQC-signed, chained), rollback events and the per-asset
# migration state machine. docs/internals/checkpoints.md.
aegis_module(migrate DEPS json crypto keys batch LIBS PkgConfig::JANSSON)
