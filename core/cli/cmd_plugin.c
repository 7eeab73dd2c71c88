/* STUB — the plugin commands are being written. */
#include "cli.h"

const cli_command cli_plugin_commands[] = {{0}};
