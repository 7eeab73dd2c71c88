/* STUB — the network commands are being written. */
#include "cli.h"

const cli_command cli_network_commands[] = {{0}};
