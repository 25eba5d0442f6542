# AEGIS_ORDER 5
# Ordering strategies (fifo, risk, asset, migration, hybrid) over the mempool.
aegis_module(order DEPS mempool)
