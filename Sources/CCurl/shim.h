#ifndef DRILLWATCH_CCURL_SHIM_H
#define DRILLWATCH_CCURL_SHIM_H

#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic macros/functions that Swift cannot
// call. Each wrapper below fixes one argument type, so the Swift side stays type-checked.

static inline CURLcode dw_curl_setopt_long(CURL *h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode dw_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode dw_curl_setopt_string(CURL *h, CURLoption o, const char *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode dw_curl_setopt_pointer(CURL *h, CURLoption o, void *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode dw_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return curl_easy_setopt(h, o, v);
}

typedef size_t (*dw_curl_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*dw_curl_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow,
                                         curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode dw_curl_setopt_data_callback(CURL *h, CURLoption o, dw_curl_data_callback f) {
    return curl_easy_setopt(h, o, f);
}
static inline CURLcode dw_curl_setopt_progress_callback(CURL *h, dw_curl_progress_callback f) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f);
}

// libcurl calls this instead of socket(2) for every connection it opens, with the address it
// is about to connect to: the one place where a redirect into the local network can be stopped
// after name resolution (so a DNS answer cannot route around the check).
typedef curl_socket_t (*dw_curl_opensocket_callback)(void *context, curlsocktype purpose,
                                                     struct curl_sockaddr *address);
static inline CURLcode dw_curl_setopt_opensocket_callback(CURL *h, dw_curl_opensocket_callback f) {
    return curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, f);
}

static inline CURLcode dw_curl_getinfo_long(CURL *h, CURLINFO i, long *v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode dw_curl_getinfo_string(CURL *h, CURLINFO i, char **v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode dw_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) {
    return curl_easy_getinfo(h, i, v);
}

static inline CURLMcode dw_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) {
    return curl_multi_setopt(m, o, v);
}

#endif
