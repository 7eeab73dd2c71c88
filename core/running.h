/* The servers running on a site, so that the commands that change what a
 * running server has loaded reach it, and those that must not run under
 * one refuse.
 *
 * Each `filrouge serve` has a file `run/serve-PID.pid` in the site folder,
 * holding its process id, and keeps a lock on it (flock) as long as it
 * runs: a server that died (kill -9, a crash) lets its lock go, and the
 * next look removes its file. The folder's own lock (`run/.lock`) makes
 * registering and looking one at a time.
 *
 * - SQLite: one server per site. A second one is refused at start: two
 *   would each deliver every subscriber's events (a named lock is always
 *   granted on SQLite, where one process serves a site).
 * - PostgreSQL: several servers may share a site folder (deploy.md,
 *   "Several application servers"); each is reached on its own machine.
 * - `hooks reload`, `plugin enable` and `plugin disable` send the running
 *   servers of this machine SIGHUP (their sites are reopened between
 *   requests); `restore` refuses while one runs. */
#ifndef FR_RUNNING_H
#define FR_RUNNING_H

#include <sys/types.h>

#include <filrouge/error.h>

/* Registers this process as a server of the site in `dir`: 0 and *fd (the
 * held file; give it to fr_running_leave), or an error. alone: refuse
 * (FR_EREFUSED, naming the other's pid) when another server runs there. */
int fr_running_enter(const char *dir, int alone, int *fd, fr_error *err);
/* Unregisters (the file removed, its lock let go). */
void fr_running_leave(const char *dir, int fd);

/* The process ids of the servers running on the site (at most max): their
 * number, or -1 when the folder cannot be read (err says why). Files of
 * servers that died are removed. */
int fr_running_list(const char *dir, pid_t *pids, int max, fr_error *err);

/* Sends SIGHUP to every server running on the site: how many got it;
 * *refused: how many could not be signalled (another user's). */
int fr_running_reload(const char *dir, int *refused);

#endif
