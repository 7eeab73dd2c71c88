#include "server.h"
const fr_route fr_routes_meetings[] = {
    {0},
};
