/* The filrouge command's shared machinery: option parsing, opening the
 * site as the acting user, printing results as text or JSON, and exit
 * statuses (0 success, 1 refused or invalid input, 2 usage error). Each
 * cmd_*.c file holds one group of subcommands and only calls the kernel. */
#ifndef FR_CLI_H
#define FR_CLI_H

#include <jansson.h>
#include <stdint.h>

#include <filrouge/error.h>

#include "site.h"

enum { CLI_OK = 0, CLI_REFUSED = 1, CLI_USAGE = 2 };

typedef struct cli {
    int argc;
    char **argv;       /* the arguments after the subcommand; options are taken out */
    int json;          /* --json */
    const char *site_dir;
    const char *as;    /* --as LOGIN */
    const char *break_glass; /* --break-glass REASON */
    char usage_error[256];
    const struct cli_command *command;
    fr_site *site;
} cli;

typedef struct cli_command {
    const char *group; /* "case" */
    const char *name;  /* "open", or NULL for a command without subcommands */
    int (*run)(cli *c);
    const char *usage;   /* arguments after "filrouge case open" */
    const char *summary; /* one line */
} cli_command;

/* Takes "--name VALUE" or "--name=VALUE" out of the arguments. */
const char *cli_opt(cli *c, const char *name);
/* Takes "--name" out of the arguments; 1 when it was there. */
int cli_flag(cli *c, const char *name);
/* After all options are taken: fails (usage) on unknown options or when the
 * number of positional arguments is outside [min, max]. */
int cli_check_args(cli *c, int min, int max);
const char *cli_arg(cli *c, int i);
/* Parses a positive id; prints a usage error on failure. */
int cli_id(cli *c, const char *text, const char *what, int64_t *out);
/* Parses a whole number from min to max; prints a usage error saying the
 * range otherwise (CLI_ANY: any number the kernel then checks itself). */
int cli_int(cli *c, const char *text, const char *what, int min, int max, int *out);
#define CLI_ANY -1000000, 1000000

/* Reads a date written DD/MM/YYYY (as people write it here) or
 * YYYY-MM-DD into out (YYYY-MM-DD). NULL text leaves out empty and
 * succeeds; an invalid date is a usage error naming the option. */
int cli_date(cli *c, const char *text, const char *what, char out[11]);
/* YYYY-MM-DD shown as DD/MM/YYYY, a stored UTC time as DD/MM/YYYY HH:MM in
 * the site's zone (fr_clock_human); other text is copied. */
const char *cli_human_date(const char *iso, char out[32]);

/* Opens the site (--site, $FILROUGE_SITE, or the current folder) and sets
 * the acting user (--as, $FILROUGE_USER, or "system"). */
int cli_open(cli *c);
/* The same with options; optional: no site in the current folder (and none
 * named by --site or FILROUGE_SITE) leaves c->site NULL instead of failing. */
int cli_open_with(cli *c, const fr_site_open_options *opt, int optional);

/* Prints the error (stderr; and as JSON on stdout with --json) and returns
 * the exit status that goes with its code. */
int cli_fail(cli *c, const fr_error *err);
int cli_usage(cli *c, const char *fmt, ...) FR_PRINTF(2, 3);

/* Prints a JSON value (always with --json; the text printer otherwise) and
 * frees it. */
void cli_emit(cli *c, json_t *value, void (*text)(json_t *value));
/* "done" messages for write commands: text or {"ok":true,...}. */
void cli_ok(cli *c, json_t *details, const char *fmt, ...) FR_PRINTF(3, 4);

/* After a committed write: deliver the outbox to asynchronous subscribers
 * (until the server does it in its loop). Failures are kept for retry. */
void cli_deliver(cli *c);

/* After a change to what a running server has loaded (hooks, enabled
 * plugins): sends SIGHUP to the site's servers on this machine
 * (running.h), records how many in details ("servers_told"), warns on
 * stderr about those it could not tell, and returns the words to add to
 * the "done" message ("" when none runs). */
const char *cli_tell_servers(cli *c, json_t *details);

/* Small helpers for text output. */
const char *cli_str(json_t *obj, const char *key); /* "" when absent/null */

/* The program: the filrouge command with its arguments. Exported by
 * libfilrouge (sdk/filrouge.map) so that the program is a thin main. */
FR_API int fr_main(int argc, char **argv);

extern const cli_command cli_site_commands[];
extern const cli_command cli_patient_commands[];
extern const cli_command cli_case_commands[];
extern const cli_command cli_network_commands[];
extern const cli_command cli_user_commands[];
extern const cli_command cli_task_commands[];
extern const cli_command cli_plugin_commands[];
extern const cli_command cli_events_commands[];
extern const cli_command cli_audit_commands[];
extern const cli_command cli_workflow_commands[];
extern const cli_command cli_care_commands[];
extern const cli_command cli_hooks_commands[];
extern const cli_command cli_form_commands[];
extern const cli_command cli_intake_commands[];
extern const cli_command cli_serve_commands[];

#endif
