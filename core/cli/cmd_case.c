/* STUB — the case commands are being written. */
#include "cli.h"

const cli_command cli_case_commands[] = {{0}};
