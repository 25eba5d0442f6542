# AEGIS_ORDER 8
# ingest: the submission pipeline (host side): durable append of whole
# groups, admission by the core, one receipt signature per group.
aegis_module(ingest DEPS util store core LIBS Threads::Threads)
