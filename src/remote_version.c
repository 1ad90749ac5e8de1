/*
 * remote_version.c - the versions of the transfer engine's libraries for
 * `ferry --version`: libcurl with its TLS library, libssh2 and the rest
 * it was built with (curl_version_info()), expat (S3 listings, STS) and
 * OpenSSL's libcrypto (digests).
 */
#include "ferry/version.h"

#include <curl/curl.h>
#include <expat.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* Append " word" to buf if word is set and fits. */
static void
with_add(char *buf, size_t len, const char *word)
{
    size_t used = strlen(buf);
    if (word == NULL || *word == '\0' || used >= len)
        return;
    snprintf(buf + used, len - used, "%s%s", used ? " " : "", word);
}

static void
curl_lib(struct version_lib *l)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    char buf[64];
    snprintf(l->version, sizeof l->version, "%s", v->version);
    with_add(l->with, sizeof l->with, v->ssl_version);    /* "OpenSSL/3.0.15" */
    with_add(l->with, sizeof l->with, v->libssh_version); /* "libssh2/1.10.0" */
    if (v->libz_version != NULL) {
        snprintf(buf, sizeof buf, "zlib/%s", v->libz_version);
        with_add(l->with, sizeof l->with, buf);
    }
    if (v->age >= CURLVERSION_FOURTH && v->nghttp2_version != NULL) {
        snprintf(buf, sizeof buf, "nghttp2/%s", v->nghttp2_version);
        with_add(l->with, sizeof l->with, buf);
    }
    if (v->age >= CURLVERSION_SECOND && v->ares != NULL) {
        snprintf(buf, sizeof buf, "c-ares/%s", v->ares);
        with_add(l->with, sizeof l->with, buf);
    }
}

size_t
remote_version_libs(struct version_lib *out, size_t max)
{
    size_t n = 0;
    if (n < max) {
        out[n] = (struct version_lib){"libcurl", "", ""};
        curl_lib(&out[n++]);
    }
    if (n < max) {
        XML_Expat_Version x = XML_ExpatVersionInfo();
        out[n] = (struct version_lib){"expat", "", ""};
        snprintf(out[n++].version, sizeof out->version, "%d.%d.%d", x.major,
                 x.minor, x.micro);
    }
    if (n < max) {
        out[n] = (struct version_lib){"libcrypto", "", ""};
        snprintf(out[n++].version, sizeof out->version, "%s",
                 OpenSSL_version(OPENSSL_VERSION_STRING));
    }
    return n;
}
