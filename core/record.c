/* STUB — record is being written. */
#include "record.h"
