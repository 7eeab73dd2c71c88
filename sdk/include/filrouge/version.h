/* Filrouge SDK: version numbers.
 *
 * FR_ABI_VERSION is the contract between the kernel and C plugins. Change it
 * whenever a public struct or a function signature in sdk/include/filrouge/
 * changes in a way that an already compiled plugin would misread. Adding a
 * new function is not a break; growing a public struct is.
 */
#ifndef FILROUGE_VERSION_H
#define FILROUGE_VERSION_H

#define FR_VERSION_MAJOR 0
#define FR_VERSION_MINOR 1
#define FR_VERSION_PATCH 0
#define FR_VERSION_STRING "0.1.0"

#define FR_ABI_VERSION 1

#endif
