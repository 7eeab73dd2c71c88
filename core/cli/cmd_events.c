/* STUB — the events commands are being written. */
#include "cli.h"

const cli_command cli_events_commands[] = {{0}};
