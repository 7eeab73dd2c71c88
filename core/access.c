/* STUB — access is being written. */
#include "access.h"
