/*
 * glob.h - ferry's one glob dialect and its matcher, shared by pack's
 * excludes (--exclude, --exclude-from, DIR/.ferryignore) and fetch
 * --select.  The dialect is gitignore's:
 *
 *   - a rule is one line; blank lines and lines starting with '#' are no
 *     rule ("\#" for a literal '#'); trailing spaces are dropped unless
 *     escaped with '\';
 *   - "!" in front negates the rule ("\!" for a literal '!'); the last
 *     rule that matches decides;
 *   - a trailing '/' matches directories only;
 *   - a pattern without any other '/' matches a name at any depth; one with
 *     a '/' (leading or inside) is anchored at the top of the tree;
 *   - '*' matches any run of characters but '/', '?' one character but
 *     '/', "[a-z]", "[!a-z]" ("[^a-z]") and "[[:digit:]]" one character of
 *     a set ('/' never); '\' makes the next character literal; a '[' with
 *     no closing ']' is literal;
 *   - "**" as a whole path component spans directories: "**" + "/x" is x at
 *     any depth, "a/" + "**" everything below a, "a/" + "**" + "/b" a/b,
 *     a/x/b, a/x/y/b...; elsewhere "**" is a plain '*'.
 *
 * The matcher never backtracks: it runs the pattern as a set of states
 * over the text, so one match costs O(pattern tokens x text length), and a
 * pattern needing more characters than the text has is refused before any
 * work.  No pattern, however hostile, costs more than O(text length^2).
 *
 * Calling sequence:
 *
 *     struct glob_rule r;
 *     if (glob_rule_parse(&r, "build/")) {     (false: blank or comment)
 *         const struct glob_rule *hit =
 *             glob_rules_last(&r, 1, "src/build", true, 0);
 *         ...
 *         glob_rule_release(&r);
 *     }
 */
#ifndef FERRY_GLOB_H
#define FERRY_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* A compiled pattern (opaque). */
struct glob_pat;

/* Compile pat[0..len); never fails (every string is a pattern).  Caller
 * frees with glob_pat_free(). */
struct glob_pat *glob_pat_compile(const char *pat, size_t len);
/* Does the compiled pattern match the whole of text? */
bool glob_pat_match(const struct glob_pat *p, const char *text);
void glob_pat_free(struct glob_pat *p);

/* One-shot: does pat match the whole of text? */
bool glob_match(const char *pat, const char *text);

struct glob_rule {
    struct glob_pat *pat; /* without '!', the leading '/', trailing '/' */
    bool negate;          /* '!' */
    bool dir_only;        /* trailing '/' */
    bool anchored;        /* contains '/': match the whole path */
};

/*
 * Parse one rule (one line of a .ferryignore; a trailing "\r" is dropped).
 * Returns false, leaving r zeroed, for a blank line, a comment or a rule
 * with nothing left to match ("/", "!"); true with r filled in otherwise
 * (release it with glob_rule_release()).
 */
bool glob_rule_parse(struct glob_rule *r, const char *line);
void glob_rule_release(struct glob_rule *r);

/* glob_rules_last() flags */
enum {
    /* a rule matching a parent directory of path matches path too */
    GLOB_PARENTS = 1,
    /* an anchored rule may also leave out path's first component (fetch
     * --select: "sub/x" and "bundle/sub/x" both name bundle/sub/x) */
    GLOB_TOP_OPTIONAL = 2,
};

/*
 * The last of the n rules v[] that matches path (relative, clean, no
 * leading "./"), an entry that is a directory if is_dir; NULL if none
 * does.  The caller reads its negate flag: with excludes, a non-negated
 * hit excludes; with --select, a non-negated hit selects.
 */
const struct glob_rule *glob_rules_last(const struct glob_rule *v,
                                        size_t n,
                                        const char *path,
                                        bool is_dir,
                                        unsigned flags);

#endif
