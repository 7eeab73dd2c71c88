/* STUB — the workflow commands are being written. */
#include "cli.h"

const cli_command cli_workflow_commands[] = {{0}};
