# AEGIS_ORDER 8
# cluster: the replicated log, lease and records on NATS JetStream (host side:
# it carries only ciphertext envelopes, published batches, signed records and
# wrapped keys). docs/internals/cluster.md.
aegis_module(cluster DEPS util json LIBS PkgConfig::NATS PkgConfig::JANSSON Threads::Threads)
