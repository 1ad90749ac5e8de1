/*
 * version.c - `ferry --version`: ferry's version and its libraries', as
 * lines of text or one JSON event (include/ferry/version.h).  The engines
 * name their own libraries; this file adds jansson and libinih.
 */
#include "ferry/version.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ferry/out.h"
#include "ferry/torrent.h"

#ifndef FERRY_INIH_VERSION
#define FERRY_INIH_VERSION "unknown"
#endif

#define MAX_LIBS 16

static size_t
collect(struct version_lib *libs)
{
    size_t n = 0;
    libs[n] = (struct version_lib){"libtorrent-rasterbar", "", ""};
    snprintf(libs[n++].version, sizeof libs->version, "%s", tor_lib_version());
    n += arc_version_libs(libs + n, MAX_LIBS - n);
    n += remote_version_libs(libs + n, MAX_LIBS - n);
    if (n < MAX_LIBS) {
        libs[n] = (struct version_lib){"jansson", "", ""};
        snprintf(libs[n++].version, sizeof libs->version, "%s",
                 jansson_version_str());
    }
    if (n < MAX_LIBS) { /* libinih tells no version: the one built with */
        libs[n] = (struct version_lib){"libinih", "", "(built with)"};
        snprintf(libs[n++].version, sizeof libs->version, "%s",
                 FERRY_INIH_VERSION);
    }
    return n;
}

/* "zlib/1.2.13 liblzma/5.4.1" -> {"zlib":"1.2.13","liblzma":"5.4.1"} */
static json_t *
with_object(const char *with)
{
    json_t *o = json_object();
    char word[128];
    while (*with != '\0') {
        size_t len = strcspn(with, " ");
        snprintf(word, sizeof word, "%.*s", (int)len, with);
        char *slash = strchr(word, '/');
        if (slash != NULL && slash != word && slash[1] != '\0') {
            *slash = '\0';
            json_object_set_new(o, word, json_string(slash + 1));
        }
        with += len;
        while (*with == ' ')
            with++;
    }
    return o;
}

void
version_print(struct out *o)
{
    struct version_lib libs[MAX_LIBS];
    size_t n = collect(libs);
    if (o->json) {
        json_t *all = json_object();
        for (size_t i = 0; i < n; i++) {
            json_t *lib = json_pack("{ss}", "version", libs[i].version);
            if (strchr(libs[i].with, '/') != NULL)
                json_object_set_new(lib, "with", with_object(libs[i].with));
            json_object_set_new(all, libs[i].name, lib);
        }
        o->command = "version"; /* ferry --version has no command word */
        out_event(o, "version", "{ssso}", "ferry", FERRY_VERSION, "libraries",
                  all);
        return;
    }
    printf("ferry %s\n", FERRY_VERSION);
    for (size_t i = 0; i < n; i++) {
        if (libs[i].with[0] == '\0')
            printf("%s %s\n", libs[i].name, libs[i].version);
        else if (libs[i].with[0] == '(')
            printf("%s %s %s\n", libs[i].name, libs[i].version, libs[i].with);
        else
            printf("%s %s (%s)\n", libs[i].name, libs[i].version, libs[i].with);
    }
}
