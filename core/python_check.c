/* `filrouge hooks check`: each hook file compiled and imported in a child
 * process, in check mode (its decorators register nothing, the record
 * cannot be read), so that nothing the file does at import time (os._exit,
 * an endless loop, a crash) reaches the command, which may hold a site.
 * Finding and importing files is python.c's. */
#include "python_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* In the child of check_one: imports the file (check mode: decorators
 * register nothing, the record cannot be read) and writes 'O', or 'P' and
 * the problem, to fd. No deadline here: the parent's clock is the one
 * that counts (a watchdog thread does not survive fork). */
static void check_in_child(fr_site *site, hook_file *f, int fd, int python_held)
{
    fr_error err = {0};
    char *problem = NULL, *trace = NULL;
    if (!python_held && fr_py_start(&err) != 0) {
        problem = strdup(err.message);
    } else {
        PyGILState_STATE g = PyGILState_Ensure();
        char *text = NULL;
        size_t len = 0;
        if (fr_py_read_source(f, &text, &len, &problem) == 0)
            fr_py_import_text(site, f, text, len, 1, 0, NULL, &problem, &trace);
        PyGILState_Release(g);
    }
    const char *msg = problem ? problem : "";
    size_t n = strlen(msg);
    if (write(fd, problem ? "P" : "O", 1) == 1)
        while (n > 0) {
            ssize_t w = write(fd, msg, n);
            if (w <= 0)
                break;
            msg += w;
            n -= (size_t)w;
        }
    _exit(0);
}

/* Checks one file in a child process, so that nothing the file does at
 * import time (os._exit, an endless loop, a crash, writes) reaches this
 * one, which may hold a site: the child keeps no file descriptor but its
 * report's, and is killed at the import deadline. *problem is NULL when
 * the file is good. */
static void check_one(fr_site *site, hook_file *f, int deadline_ms, char **problem)
{
    *problem = NULL;
    int fds[2];
    if (pipe(fds) != 0) {
        if (asprintf(problem, "%s: cannot check it: %s", f->path, strerror(errno)) < 0)
            *problem = NULL;
        return;
    }
    fflush(NULL);
    int held = fr_python_started();
    PyGILState_STATE g = PyGILState_UNLOCKED;
    if (held) {
        g = PyGILState_Ensure();
        PyOS_BeforeFork();
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (held)
            PyOS_AfterFork_Child();
        int fd = fds[1] == 3 ? 3 : dup2(fds[1], 3);
        if (fd == 3)
            closefrom(4);
        check_in_child(site, f, 3, held);
    }
    if (held) {
        PyOS_AfterFork_Parent();
        PyGILState_Release(g);
    }
    close(fds[1]);
    char buf[1024];
    size_t got = 0;
    int timed_out = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (pid > 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = deadline_ms -
                    (long)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int r = left > 0 ? poll(&pfd, 1, (int)left) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(fds[0], buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == sizeof buf - 1)
            break;
    }
    close(fds[0]);
    int status = 0;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    buf[got] = '\0';
    if (pid > 0 && !timed_out && got > 0 && buf[0] == 'O' && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0)
        return;
    int n = 0;
    if (pid < 0)
        n = asprintf(problem, "%s: cannot check it: %s", f->path, strerror(errno));
    else if (timed_out)
        n = asprintf(problem,
                     "%s: importing it took longer than %d ms and was stopped: a loop or a "
                     "blocking call at the top level of the file?",
                     f->path, deadline_ms);
    else if (got > 0 && buf[0] == 'P')
        *problem = strdup(buf + 1);
    else if (WIFSIGNALED(status))
        n = asprintf(problem, "%s: importing it crashed the check (signal %d)", f->path,
                     WTERMSIG(status));
    else
        n = asprintf(problem,
                     "%s: importing it ended the process (exit status %d: os._exit() or the "
                     "like at the top level of the file); a hook file must not end the program "
                     "that loads it",
                     f->path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (n < 0)
        *problem = NULL;
    if (!*problem)
        *problem = strdup(f->path);
}

int fr_python_check(fr_site *site, const char *const *paths, json_t **out, fr_error *err)
{
    *out = NULL;
    fr_py_file_list l = {0};
    int rc = 0;
    if (paths) {
        for (; *paths && !rc; paths++) {
            hook_file *g = realloc(l.files, (size_t)(l.n + 1) * sizeof *g);
            if (!g) {
                rc = FR_ENOMEM;
                break;
            }
            l.files = g;
            hook_file *f = &g[l.n++];
            memset(f, 0, sizeof *f);
            const char *base = strrchr(*paths, '/') ? strrchr(*paths, '/') + 1 : *paths;
            size_t len = strlen(base) > 3 && strcmp(base + strlen(base) - 3, ".py") == 0
                             ? strlen(base) - 3
                             : strlen(base);
            f->path = strdup(*paths);
            f->origin = strdup("site");
            if (asprintf(&f->module, "site.%.*s", (int)len, base) < 0)
                f->module = NULL;
            if (!f->path || !f->origin || !f->module)
                rc = FR_ENOMEM;
        }
    } else if (site) {
        rc = fr_py_scan_all(site, &l);
    }
    if (rc) {
        fr_py_files_free(l.files, l.n);
        return fr_error_set(err, rc, "out of memory");
    }
    json_t *a = json_array();
    char problems[FR_ERROR_MAX] = "";
    size_t plen = 0;
    int bad = 0;
    int deadline = (site ? fr_python_deadline_ms(site) : FR_PY_DEFAULT_DEADLINE_MS) *
                   FR_PY_IMPORT_DEADLINE_FACTOR;
    for (int i = 0; i < l.n; i++) {
        char *problem = NULL;
        check_one(site, &l.files[i], deadline, &problem);
        json_array_append_new(a, json_pack("{s:s,s:b,s:s?}", "path", l.files[i].path, "ok",
                                           problem == NULL, "problem", problem));
        if (problem) {
            bad++;
            if (plen < sizeof problems - 1)
                plen += (size_t)snprintf(problems + plen, sizeof problems - plen, "%s%s",
                                         plen ? "\n" : "", problem);
        }
        free(problem);
    }
    fr_py_files_free(l.files, l.n);
    *out = a;
    if (bad)
        return fr_error_set(err, FR_EINVAL, "%s", problems);
    return 0;
}
