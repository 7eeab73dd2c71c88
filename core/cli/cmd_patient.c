/* STUB — the patient commands are being written. */
#include "cli.h"

const cli_command cli_patient_commands[] = {{0}};
