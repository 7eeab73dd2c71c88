/* The checks of free text typed into the record (core/text.c), then the
 * record's writers refusing with them: a blank name, a control character
 * or a direction override in a name, a phone number or an e-mail address
 * that is none. */
#include "text.h"

#include "case_fixture.h"
#include "record.h"
#include "test.h"
#include <string.h>

static void blank_is_empty_or_spaces(void)
{
    CHECK(fr_text_blank(NULL) && fr_text_blank("") && fr_text_blank("  \t\n"));
    CHECK(!fr_text_blank(" a "));
}

static void control_characters_and_overrides_are_refused(void)
{
    fr_error err = {0};
    CHECK_OK(fr_text_check("name", "Lambert-Dupont Éléonore", 200, 0, &err), &err);
    CHECK_ERR(fr_text_check("name",
                            "Lam\x01"
                            "bert",
                            200, 0, &err),
              FR_EINVAL, &err, "name: holds a control character (byte 1 at position 4)");
    CHECK_ERR(fr_text_check("name", "Lam\nbert", 200, 0, &err), FR_EINVAL, &err,
              "a line break or tab where one line is expected");
    CHECK_OK(fr_text_check("note", "first line\nsecond\tline", 0, 1, &err), &err);
    CHECK_ERR(fr_text_check("name",
                            "A\xE2\x80\xAE"
                            "B",
                            200, 0, &err),
              FR_EINVAL, &err,
              "an invisible character that changes the direction of the text (at position 2)");
    CHECK_ERR(fr_text_check("name",
                            "A\xE2\x81\xA6"
                            "B",
                            200, 0, &err),
              FR_EINVAL, &err, "changes the direction");
    CHECK_OK(fr_text_check("name",
                           "A\xE2\x80\x94"
                           "B",
                           200, 0, &err),
             &err); /* an em dash */
    char longer[300];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    CHECK_ERR(fr_text_check("role", longer, 200, 0, &err), FR_EINVAL, &err,
              "role: at most 200 characters (299 given)");
}

static void phones_and_emails(void)
{
    fr_error err = {0};
    const char *phones[] = {"+32 81 12 34 56", "0470/12.34.56", "(081) 22-33-44", "4521", NULL};
    for (int i = 0; phones[i]; i++)
        CHECK_OK(fr_text_phone("phone", phones[i], &err), &err);
    CHECK_OK(fr_text_phone("phone", NULL, &err), &err);
    CHECK_ERR(fr_text_phone("phone", "abc", &err), FR_EINVAL, &err,
              "phone: 'abc' is not a phone number; write its digits");
    CHECK_ERR(fr_text_phone("phone", "12", &err), FR_EINVAL, &err, "not a phone number");
    CHECK_ERR(fr_text_phone("phone", "0470 12 34 56 (fille)", &err), FR_EINVAL, &err,
              "not a phone number");
    const char *good[] = {"an.peeters@cpas-namur.be", "x@y.lu", NULL};
    for (int i = 0; good[i]; i++)
        CHECK_OK(fr_text_email("email", good[i], &err), &err);
    const char *bad[] = {"not-an-email", "@cpas.be", "an@",         "an@cpas",
                         "an @cpas.be",  "a@b@c.be", "an@cpas.be.", NULL};
    for (int i = 0; bad[i]; i++)
        CHECK_ERR(fr_text_email("email", bad[i], &err), FR_EINVAL, &err,
                  "is not an e-mail address; write it like name@example.be");
}

static void the_record_refuses_them(void)
{
    fr_site *site = fixture_site("text");
    fr_error err = {0};
    fr_patient_new p = {.family_name = "   ", .given_names = "Jeanne"};
    int64_t pid = 0;
    CHECK_ERR(fr_patient_add(site, &p, &pid, &err), FR_EINVAL, &err,
              "family: the family name is required");
    p.family_name = "Lam\xE2\x80\xAE"
                    "bert";
    CHECK_ERR(fr_patient_add(site, &p, &pid, &err), FR_EINVAL, &err, "family: holds an invisible");
    p.family_name = "Lambert";
    p.phone = "n/a";
    CHECK_ERR(fr_patient_add(site, &p, &pid, &err), FR_EINVAL, &err, "phone: 'n/a' is not a phone");
    p.phone = "081 22 33 44";
    CHECK_OK(fr_patient_add(site, &p, &pid, &err), &err);
    CHECK(fixture_int(site, "SELECT count(*) FROM patients WHERE id > ?", 0) == 1);
    fr_site_close(site);
}

TEST_MAIN({"blank_is_empty_or_spaces", blank_is_empty_or_spaces},
          {"control_characters_and_overrides_are_refused",
           control_characters_and_overrides_are_refused},
          {"phones_and_emails", phones_and_emails},
          {"the_record_refuses_them", the_record_refuses_them})
