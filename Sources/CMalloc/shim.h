#ifndef DRILLWATCH_CMALLOC_SHIM_H
#define DRILLWATCH_CMALLOC_SHIM_H

// glibc's allocator settings (mallopt), which Swift's Glibc module does not export. Other C
// libraries have no mallopt: there the module is empty and nothing is set.
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

#endif
