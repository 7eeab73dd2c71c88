/* Deadlines of calls into Python hooks: a watchdog thread interrupts a hook
 * that runs past its deadline by raising filrouge.DeadlineExceeded in the
 * hook's thread (PyThreadState_SetAsyncExc). It does not decide what an
 * interruption means for the operation: python.c reports it.
 *
 * An asynchronous exception is delivered when the thread next runs Python
 * bytecode: a runaway loop (`while True: pass`) is stopped, a hook blocked
 * inside C (time.sleep, a socket) only when that call returns. The
 * exception derives from BaseException, so `except Exception` in the hook
 * does not swallow it; if the hook swallows it anyway, it is raised again
 * every RETRY_MS. */
#include "python_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define SLOTS 256
/* How often the watchdog looks at the running calls. */
#define TICK_MS 5
/* Idle ticks before the watchdog sleeps until the next call. */
#define IDLE_TICKS 200
/* A hook that swallowed the interruption gets it again after this. */
#define RETRY_MS 50

/* One running outermost call. Claimed and released by the calling thread
 * with the GIL held; the watchdog re-checks a slot with the GIL held before
 * interrupting, so it never interrupts a call that has already returned. */
typedef struct slot {
    atomic_int used;
    atomic_llong deadline_ns; /* CLOCK_MONOTONIC; 0: not armed */
    atomic_uint seq;
    atomic_int fired;
    atomic_ulong tid;
} slot;

static slot slots[SLOTS];
static atomic_int high;     /* slots[0..high) have been used */
static atomic_int active;   /* calls running now */
static atomic_int sleeping; /* the watchdog waits on `wake` */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int started;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void interrupt(slot *s, unsigned seq, long long now)
{
    PyGILState_STATE g = PyGILState_Ensure();
    /* Under the GIL the call cannot end (or a new one begin) meanwhile. */
    if (atomic_load(&s->used) && atomic_load(&s->seq) == seq) {
        long long d = atomic_load(&s->deadline_ns);
        if (d && now > d) {
            PyThreadState_SetAsyncExc(atomic_load(&s->tid), fr_py_deadline_type());
            atomic_fetch_add(&s->fired, 1);
            atomic_store(&s->deadline_ns, now + RETRY_MS * 1000000LL);
        }
    }
    PyGILState_Release(g);
}

static void *watchdog(void *unused)
{
    (void)unused;
    int idle = 0;
    for (;;) {
        if (atomic_load(&active) == 0) {
            if (++idle > IDLE_TICKS) {
                pthread_mutex_lock(&lock);
                atomic_store(&sleeping, 1);
                while (atomic_load(&active) == 0)
                    pthread_cond_wait(&wake, &lock);
                atomic_store(&sleeping, 0);
                pthread_mutex_unlock(&lock);
                idle = 0;
            }
        } else {
            idle = 0;
        }
        struct timespec tick = {0, TICK_MS * 1000000L};
        nanosleep(&tick, NULL);
        long long now = now_ns();
        int n = atomic_load(&high);
        for (int i = 0; i < n; i++) {
            slot *s = &slots[i];
            long long d = atomic_load(&s->deadline_ns);
            if (atomic_load(&s->used) && d && now > d)
                interrupt(s, atomic_load(&s->seq), now);
        }
    }
    return NULL;
}

int fr_pyguard_start(void)
{
    if (started)
        return 0;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, watchdog, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        return -1;
    started = 1;
    return 0;
}

int fr_pyguard_begin(int deadline_ms)
{
    int i;
    for (i = 0; i < SLOTS; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&slots[i].used, &expected, 1))
            break;
    }
    if (i == SLOTS)
        return -1;
    int h = atomic_load(&high);
    while (h < i + 1 && !atomic_compare_exchange_weak(&high, &h, i + 1))
        ;
    slot *s = &slots[i];
    atomic_fetch_add(&s->seq, 1);
    atomic_store(&s->fired, 0);
    atomic_store(&s->tid, PyThread_get_thread_ident());
    atomic_store(&s->deadline_ns, now_ns() + (long long)deadline_ms * 1000000LL);
    /* Wake the watchdog only when it sleeps: a busy server pays no lock. */
    if (atomic_fetch_add(&active, 1) == 0 && atomic_load(&sleeping)) {
        pthread_mutex_lock(&lock);
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
    }
    return i;
}

int fr_pyguard_end(int i)
{
    if (i < 0)
        return 0;
    slot *s = &slots[i];
    atomic_store(&s->deadline_ns, 0);
    int fired = atomic_load(&s->fired);
    /* An interruption set just as the hook returned would surface in the
     * next Python code this thread runs: take it back. */
    if (fired)
        PyThreadState_SetAsyncExc(atomic_load(&s->tid), NULL);
    atomic_store(&s->used, 0);
    atomic_fetch_sub(&active, 1);
    return fired;
}
