/* STUB — the site commands are being written. */
#include "cli.h"

const cli_command cli_site_commands[] = {{0}};
