# AEGIS_ORDER 7
# The trusted core: the call table of aegis/core.h over envelope, tx,
# mempool, order, batch, keys and tee.
aegis_module(core DEPS util config crypto envelope keys tee tx mempool order batch chain risk migrate assets
             LIBS PkgConfig::JANSSON Threads::Threads)
