#ifndef DRILLWATCH_CSTEMMER_SHIM_H
#define DRILLWATCH_CSTEMMER_SHIM_H

// Snowball's libstemmer (Debian libstemmer-dev): the stemmers Lucene, PostgreSQL and Xapian
// use. Its API is plain C and callable from Swift as it is; this header only brings it in.
#include <libstemmer.h>

#endif
