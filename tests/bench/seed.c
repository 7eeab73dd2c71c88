/* Seeds a site for the benchmark through the kernel itself: N patients
 * (fr_patient_add), case managers cm001… and C open frailty cases spread
 * over them, the first 40 going to "marie". Writes are grouped 1000 to a
 * transaction (the kernel's own transactions nest as savepoints), so that
 * seeding 100,000 patients takes a minute, not an hour.
 *   seed SITE-DIR PATIENTS CASES */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "site.h"

static const char *const families[] = {"Lambert",  "Peeters", "Martin",  "Dubois",  "Janssens",
                                       "Maes",     "Jacobs",  "Mertens", "Willems", "Claes",
                                       "Goossens", "Wouters", "Laurent", "Simon",   "Leroy"};
static const char *const givens[] = {"Jeanne", "Jozef", "Lucas", "Marie", "An",   "Louis",
                                     "Emma",   "Paul",  "Lea",   "Hugo",  "Anna", "Jan"};

static int batch(fr_site *site, int i, fr_error *err)
{
    if (i % 1000 != 0)
        return 0;
    if (fr_store_depth(site->store) > 0 && fr_store_commit(site->store, err))
        return -1;
    return fr_store_begin(site->store, err);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: seed SITE-DIR PATIENTS CASES\n");
        return 2;
    }
    int npatients = atoi(argv[2]), ncases = atoi(argv[3]), managers = 50;
    fr_error err = {0};
    fr_site *site = NULL;
    if (fr_site_open(argv[1], NULL, &site, &err)) {
        fprintf(stderr, "seed: %s\n", err.message);
        return 1;
    }
    int rc = 0;
    for (int m = 1; m <= managers && !rc; m++) {
        char login[16], name[32];
        snprintf(login, sizeof login, "cm%03d", m);
        snprintf(name, sizeof name, "Case Manager %d", m);
        fr_user_new u = {
            .login = login, .display_name = name, .role = "case_manager", .capacity = 60};
        rc = fr_user_add(site, &u, NULL, &err);
    }
    int64_t first = 0;
    for (int i = 0; i < npatients && !rc; i++) {
        if ((rc = batch(site, i, &err)))
            break;
        char birth[11];
        snprintf(birth, sizeof birth, "%04d-%02d-%02d", 1925 + i % 70, 1 + i % 12, 1 + i % 28);
        fr_patient_new p = {.family_name = families[i % 15],
                            .given_names = givens[(i / 15) % 12],
                            .birth_date = birth,
                            .city = "Namur"};
        int64_t id = 0;
        rc = fr_patient_add(site, &p, &id, &err);
        if (i == 0)
            first = id;
    }
    for (int i = 0; i < ncases && !rc; i++) {
        if ((rc = batch(site, i, &err)))
            break;
        char login[16];
        if (i < 40)
            snprintf(login, sizeof login, "marie");
        else
            snprintf(login, sizeof login, "cm%03d", 1 + i % managers);
        fr_case_new c = {.patient_id = first + i,
                         .workflow = "frailty",
                         .manager = login,
                         .intensity = 1 + i % 4};
        rc = fr_case_open(site, &c, NULL, &err);
    }
    if (!rc && fr_store_depth(site->store) > 0)
        rc = fr_store_commit(site->store, &err);
    if (rc)
        fprintf(stderr, "seed: %s\n", err.message);
    else
        printf("seeded %d patients, %d cases\n", npatients, ncases);
    fr_site_close(site);
    return rc ? 1 : 0;
}
