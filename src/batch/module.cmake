# AEGIS_ORDER 5
# Batch header (abi.encode layout), batch hash, Merkle root/proofs, epoch seals.
aegis_module(batch DEPS crypto)
# The cut's batch JSON against the chain module's encoder (links the core;
# the name is outside the test_batch_* auto-registration on purpose).
aegis_unit_test(test_batchjson SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_batchjson.c DEPS core)
