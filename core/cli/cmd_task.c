/* STUB — the task commands are being written. */
#include "cli.h"

const cli_command cli_task_commands[] = {{0}};
