/* placeholder */
#include "test.h"
static void nothing(void) {}
TEST_MAIN({"nothing", nothing})
