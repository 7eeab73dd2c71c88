/* STUB — the user commands are being written. */
#include "cli.h"

const cli_command cli_user_commands[] = {{0}};
