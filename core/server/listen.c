/* The listener: wakes this server's outbox delivery when another process
 * on the same database recorded events (fr_store_announce "outbox"), so
 * that several servers on one PostgreSQL database deliver promptly instead
 * of at their background period. One thread on a connection of its own,
 * waiting in fr_store_wait; a byte on its pipe stops it. On a backend
 * without announcements (SQLite: one process per site) it is not started
 * and the background period alone schedules delivery. When its connection
 * is lost (the database server restarted), it says so in the log, tries
 * again every RETRY_SECONDS (the store connects again and listens anew),
 * and says when it listens again; meanwhile the background period
 * schedules delivery. */
#include "server.h"

#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"

#define RETRY_SECONDS 5

struct fr_listener {
    fr_server *server;
    fr_committer *committer;
    fr_store *store;
    int pipe[2];
    pthread_t thread;
    long heard; /* announcements heard, for the log */
};

/* 1 when the pipe says stop within `seconds`. */
static int stopped_within(fr_listener *l, int seconds)
{
    struct pollfd fd = {l->pipe[0], POLLIN, 0};
    return poll(&fd, 1, seconds * 1000) > 0;
}

static void *listener_main(void *arg)
{
    fr_listener *l = arg;
    for (;;) {
        int heard = 0;
        fr_error err = {0};
        if (fr_store_wait(l->store, l->pipe[0], &heard, &err)) {
            fr_server_log(l->server,
                          "outbox: no more notifications from other processes (%s); delivery "
                          "runs at the background period; trying again every %d s",
                          err.message, RETRY_SECONDS);
            int back = 0;
            while (!back && !stopped_within(l, RETRY_SECONDS))
                back = fr_store_listen(l->store, "outbox", NULL) == 0;
            if (!back)
                break; /* stopping */
            fr_server_log(l->server, "outbox: notifications from other processes again");
            continue;
        }
        if (!heard)
            break; /* the pipe: stopping */
        if (l->heard == 0)
            fr_server_log(l->server, "outbox: delivery woken by another process's notification "
                                     "(LISTEN/NOTIFY); later ones are counted at stop");
        l->heard += heard;
        fr_committer_deliver(l->committer);
    }
    return NULL;
}

int fr_listener_start(fr_server *s, const char *location, fr_committer *c, fr_listener **out,
                      fr_error *err)
{
    *out = NULL;
    fr_listener *l = calloc(1, sizeof *l);
    if (!l)
        return fr_error_set(err, FR_ENOMEM, "out of memory");
    l->server = s;
    l->committer = c;
    l->pipe[0] = l->pipe[1] = -1;
    int rc = fr_store_open(location, NULL, &l->store, err);
    if (!rc)
        rc = fr_store_listen(l->store, "outbox", err);
    if (!rc && pipe(l->pipe) != 0)
        rc = fr_error_set(err, FR_EIO, "cannot make the listener's pipe");
    if (!rc && pthread_create(&l->thread, NULL, listener_main, l) != 0)
        rc = fr_error_set(err, FR_ENOMEM, "cannot start the listener thread");
    if (rc) {
        if (l->pipe[0] >= 0) {
            close(l->pipe[0]);
            close(l->pipe[1]);
        }
        fr_store_close(l->store);
        free(l);
        return rc == FR_EREFUSED ? (fr_error_clear(err), 0) : rc;
    }
    *out = l;
    return 0;
}

void fr_listener_stop(fr_listener *l)
{
    if (!l)
        return;
    ssize_t n = write(l->pipe[1], "", 1);
    (void)n;
    pthread_join(l->thread, NULL);
    if (l->heard)
        fr_server_log(l->server, "outbox: %ld notifications from other processes", l->heard);
    close(l->pipe[0]);
    close(l->pipe[1]);
    fr_store_close(l->store);
    free(l);
}
