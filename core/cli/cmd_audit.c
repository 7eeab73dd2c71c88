/* STUB — the audit commands are being written. */
#include "cli.h"

const cli_command cli_audit_commands[] = {{0}};
