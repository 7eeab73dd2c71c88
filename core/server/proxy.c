/* Reverse proxies: which peers may tell us the client's address
 * (X-Forwarded-For) and scheme (X-Forwarded-Proto). Only the addresses of
 * site.xml's `web.trusted-proxies` are believed; from anybody else these
 * headers are ignored, so a client cannot choose the address that rate
 * limiting, login throttling and the audit trail see. */
#include "server.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct proxy_net {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int bits;
} proxy_net;

struct fr_proxies {
    proxy_net *v;
    int n;
};

/* Parses an address (IPv4 or IPv6, IPv4-mapped IPv6 taken as IPv4) into
 * family and 16 bytes; 0 on success. */
static int parse_addr(const char *s, int *family, unsigned char out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    unsigned char v6[16];
    if (inet_pton(AF_INET6, s, v6) != 1)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(v6, mapped, 12) == 0) {
        *family = AF_INET;
        memcpy(out, v6 + 12, 4);
        return 0;
    }
    *family = AF_INET6;
    memcpy(out, v6, 16);
    return 0;
}

int fr_proxies_parse(const char *text, fr_proxies **out, fr_error *err)
{
    *out = NULL;
    fr_proxies *p = calloc(1, sizeof *p);
    char *copy = strdup(text ? text : "");
    if (!p || !copy) {
        free(p);
        free(copy);
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    }
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \t\n", &save); tok && !rc;
         tok = strtok_r(NULL, ", \t\n", &save)) {
        proxy_net net = {0};
        char *slash = strchr(tok, '/');
        if (slash)
            *slash = '\0';
        if (parse_addr(tok, &net.family, net.addr)) {
            rc = fr_error_set(err, FR_EINVAL,
                              "site.xml setting web.trusted-proxies: '%s' is not an IPv4 or "
                              "IPv6 address (e.g. 127.0.0.1, ::1, 10.0.0.0/8)",
                              tok);
            break;
        }
        int max = net.family == AF_INET ? 32 : 128;
        net.bits = max;
        if (slash) {
            char *end;
            long bits = strtol(slash + 1, &end, 10);
            if (*end || end == slash + 1 || bits < 0 || bits > max) {
                rc = fr_error_set(err, FR_EINVAL,
                                  "site.xml setting web.trusted-proxies: '%s/%s' has a bad "
                                  "prefix length (0 to %d)",
                                  tok, slash + 1, max);
                break;
            }
            net.bits = (int)bits;
        }
        proxy_net *grown = realloc(p->v, (size_t)(p->n + 1) * sizeof *grown);
        if (!grown) {
            rc = fr_error_set(err, FR_ENOMEM, "out of memory");
            break;
        }
        p->v = grown;
        p->v[p->n++] = net;
    }
    free(copy);
    if (rc) {
        fr_proxies_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void fr_proxies_free(fr_proxies *p)
{
    if (!p)
        return;
    free(p->v);
    free(p);
}

int fr_proxies_match(const fr_proxies *p, const char *addr)
{
    int family;
    unsigned char a[16];
    if (!p || !addr || parse_addr(addr, &family, a))
        return 0;
    for (int i = 0; i < p->n; i++) {
        const proxy_net *n = &p->v[i];
        if (n->family != family)
            continue;
        int full = n->bits / 8, rest = n->bits % 8;
        if (memcmp(a, n->addr, (size_t)full) != 0)
            continue;
        if (rest && ((a[full] ^ n->addr[full]) & (0xff << (8 - rest)) & 0xff))
            continue;
        return 1;
    }
    return 0;
}

int fr_proxy_trusted(const fr_server *s, const char *peer)
{
    return fr_proxies_match(fr_server_proxies(s), peer);
}

/* Trims spaces around [b, e) in place. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

void fr_proxy_client(fr_server *s, fr_req *r, const char *peer, char out[64])
{
    /* an IPv4 client of a dual-stack socket shows as itself */
    if (strncmp(peer, "::ffff:", 7) == 0 && strchr(peer + 7, '.'))
        snprintf(out, 64, "%s", peer + 7);
    else
        snprintf(out, 64, "%s", peer);
    if (!fr_proxy_trusted(s, peer))
        return;
    const char *xff = fr_req_header(r, "X-Forwarded-For");
    if (!xff)
        return;
    /* From the right: each proxy appends the address it saw; the first
     * one that is not a trusted proxy is the client. */
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        const char *b = start, *e = end;
        trim(&b, &e);
        char addr[64];
        int family;
        unsigned char bytes[16];
        if (e - b <= 0 || (size_t)(e - b) >= sizeof addr)
            return; /* garbage: keep the last good address */
        memcpy(addr, b, (size_t)(e - b));
        addr[e - b] = '\0';
        if (parse_addr(addr, &family, bytes))
            return;
        snprintf(out, 64, "%s", addr);
        if (!fr_proxy_trusted(s, addr))
            return;
        end = start > xff ? start - 1 : xff;
    }
}

int fr_proxy_https(fr_req *r)
{
    if (fr_server_tls(r->server))
        return 1;
    if (!r->peer || !fr_proxy_trusted(r->server, r->peer))
        return 0;
    const char *proto = fr_req_header(r, "X-Forwarded-Proto");
    return proto && strcmp(proto, "https") == 0;
}
