/* The servers running on a site: run/serve-PID files, each locked by its
 * server (running.h). The lock is a POSIX record lock (fcntl), not flock:
 * F_GETLK names the process that holds it, so the pid signalled is the
 * holder's own, never a number read from a file that a reused pid could
 * make wrong, and a child forked by the server (a hook's subprocess) does
 * not inherit it. */
#include "running.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_DIR "run"
#define PREFIX "serve-"

/* The run folder's lock (flock on run/.lock), so that registering and
 * looking take turns: its descriptor, or -1 (create: make the folder and
 * the file when missing). */
static int lock_folder(const char *dir, int create, fr_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" RUN_DIR, dir);
    if (create && mkdir(path, 0755) != 0 && errno != EEXIST) {
        fr_error_set(err, FR_EIO,
                     "cannot create %s (%s): the server's user must be able to "
                     "write the site folder",
                     path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/" RUN_DIR "/.lock", dir);
    int fd = open(path, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (create || errno != ENOENT)
            fr_error_set(err, FR_EIO, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    return fd;
}

static void unlock_folder(int fd)
{
    if (fd >= 0)
        close(fd); /* lets the flock go */
}

/* The pid holding the file's lock, 0 when none does (a server that died). */
static pid_t holder(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
    pid_t pid = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? fl.l_pid : 0;
    close(fd);
    return pid;
}

/* Lists the servers (their pids into pids, at most max), removing the
 * files of those that died (when allowed: `tidy`). */
static int scan(const char *dir, pid_t *pids, int max, int tidy, fr_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" RUN_DIR, dir);
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        fr_error_set(err, FR_EIO, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0)
            continue;
        snprintf(path, sizeof path, "%s/" RUN_DIR "/%s", dir, e->d_name);
        pid_t pid = holder(path);
        if (!pid) {
            if (tidy)
                unlink(path);
            continue;
        }
        if (n < max)
            pids[n] = pid;
        n++;
    }
    closedir(d);
    return n < max ? n : max;
}

int fr_running_enter(const char *dir, int alone, int *fd, fr_error *err)
{
    *fd = -1;
    int folder = lock_folder(dir, 1, err);
    if (folder < 0)
        return FR_EIO;
    pid_t other = 0;
    int n = scan(dir, &other, 1, 1, err);
    if (n < 0) {
        unlock_folder(folder);
        return FR_EIO;
    }
    if (alone && n > 0) {
        unlock_folder(folder);
        return fr_error_set(err, FR_EREFUSED,
                            "another filrouge serve (process %ld) already serves the site %s; "
                            "an SQLite site has one server (two would deliver every event "
                            "twice): stop it first, or use that one",
                            (long)other, dir);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/" RUN_DIR "/" PREFIX "%ld.pid", dir, (long)getpid());
    int f = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (f < 0 || fcntl(f, F_SETLK, &fl) != 0) {
        int e = errno;
        if (f >= 0)
            close(f);
        unlock_folder(folder);
        return fr_error_set(err, FR_EIO, "cannot hold %s: %s", path, strerror(e));
    }
    char text[32];
    int len = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (write(f, text, (size_t)len) != len) {
        /* the pid is read from the lock, not the text: only for people */
    }
    unlock_folder(folder);
    *fd = f;
    return 0;
}

void fr_running_leave(const char *dir, int fd)
{
    if (fd < 0)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/" RUN_DIR "/" PREFIX "%ld.pid", dir, (long)getpid());
    int folder = lock_folder(dir, 0, NULL);
    unlink(path);
    close(fd);
    unlock_folder(folder);
}

int fr_running_list(const char *dir, pid_t *pids, int max, fr_error *err)
{
    int folder = lock_folder(dir, 0, NULL);
    /* without the folder's lock (a site folder this user cannot write),
     * look only: a file being made could be taken for a dead one */
    int n = scan(dir, pids, max, folder >= 0, err);
    unlock_folder(folder);
    return n;
}

int fr_running_reload(const char *dir, int *refused)
{
    pid_t pids[64];
    *refused = 0;
    int n = fr_running_list(dir, pids, 64, NULL), told = 0;
    for (int i = 0; i < n; i++) {
        if (kill(pids[i], SIGHUP) == 0)
            told++;
        else if (errno != ESRCH) /* ESRCH: it has just stopped */
            (*refused)++;
    }
    return told;
}
