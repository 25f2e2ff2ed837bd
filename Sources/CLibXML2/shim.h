#ifndef DRILLWATCH_CLIBXML2_SHIM_H
#define DRILLWATCH_CLIBXML2_SHIM_H

// Debian's libxml2 headers pull in the system ICU, whose types clash with the copy inside
// the Swift toolchain ("'UErrorCode' has different definitions in different modules").
// drillwatch transcodes with iconv before libxml2 sees a byte, so ICU is not needed here.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/HTMLparser.h>
#include <libxml/xmlerror.h>
#include <libxml/uri.h>
#include <libxml/xmlIO.h>

/// `xmlFree` is a mutable global function pointer, which Swift 6 rejects as shared state.
static inline void dw_xml_free(void *p) { xmlFree(p); }

#endif
