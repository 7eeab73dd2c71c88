/* Test plugin "badabi": its descriptor is written by hand as a plugin built
 * against another ABI would carry it, so that the kernel must refuse it
 * before calling anything, naming both ABI versions. */
#include <stdint.h>

struct other_abi_descriptor {
    uint32_t abi_version;
    uint32_t descriptor_size;
    uint32_t error_size;
    const char *id;
    const char *version;
    void *init;
    void *fini;
    void *added_in_abi_999;
};

__attribute__((visibility("default"))) const struct other_abi_descriptor filrouge_plugin = {
    999, sizeof(struct other_abi_descriptor), 2048, "badabi", "1.0.0", 0, 0, 0};
