/* Filrouge SDK: everything a plugin needs, in one include. */
#ifndef FILROUGE_H
#define FILROUGE_H

#include "bus.h"
#include "case.h"
#include "error.h"
#include "plugin.h"
#include "version.h"
#include "workflow.h"

#endif
