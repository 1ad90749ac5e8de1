/*
 * noipv6.c - LD_PRELOAD shim for transmission-cli in the e2e tests.
 *
 * transmission 3.00 cannot be told to stay off IPv6: it binds [::]:PORT
 * when the kernel allows it.  With this shim every AF_INET6 socket() call
 * fails with EAFNOSUPPORT, as on a host without IPv6, so the client only
 * uses the 127.0.0.1 address its settings.json binds.
 *
 * Built by the test that needs it:  cc -shared -fPIC -o noipv6.so noipv6.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>

int
socket(int domain, int type, int protocol)
{
    static int (*next)(int, int, int);
    if (domain == AF_INET6) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    if (next == NULL)
        next = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
    if (next == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return next(domain, type, protocol);
}
