#ifndef DRILLWATCH_COPENCC_SHIM_H
#define DRILLWATCH_COPENCC_SHIM_H

// OpenCC (Debian libopencc-dev, with its dictionaries in libopencc-data): Chinese script
// conversion with phrase tables, the converter behind Rime, fcitx and Wikipedia's zh variants.
// Its C API is plain C and callable from Swift as it is; this header only brings it in.
// pkg-config's `opencc` adds -I/usr/include/opencc, hence the bare name.
#include <opencc.h>

#endif
