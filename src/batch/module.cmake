# AEGIS_ORDER 5
# Batch header (abi.encode layout), batch hash, Merkle root/proofs, epoch seals.
aegis_module(batch DEPS crypto)
