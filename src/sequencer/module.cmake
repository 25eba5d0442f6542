# AEGIS_ORDER 9
# sequencer: the sequencer on the host side (restore, submissions, cuts,
# seals, checkpoints, its JSON-RPC methods) over a local SQLite log or the
# cluster's JetStream log. aegis/sequencer.h; docs/internals/pipeline.md.
aegis_module(sequencer DEPS util json config store rpc core ingest cluster LIBS PkgConfig::JANSSON Threads::Threads)
