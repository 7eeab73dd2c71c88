/* The case page's notes: what a person writes about a contact (a call
 * with the daughter, a home visit, what the GP said) and what hooks and
 * plugins add (filrouge.add_note), in one list, newest first, each with its
 * date, its author and, when no person wrote it, where it came from. Above
 * the list, "Add a note" for whoever may change the case; a refused note
 * comes back as the case page with the problem under the text, the text
 * kept. The rules are the kernel's (record_note.c, fr_case_add_note). */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "record.h"
#include "text.h"

#define T(key) fr_t(r->lang, key)

/* The note's text, as the kernel names it in its refusals. */
static const fr_page_rule note_rules[] = {
    {"text", "note", 1, FR_TEXT_NOTE_MAX, 'm'},
    {"on", NULL, 0, 0, 'd'},
};
#define NNOTE_RULES (sizeof note_rules / sizeof note_rules[0])

static void note_form(fr_req *r, fr_buf *b, int64_t case_id, const fr_refusal *refused)
{
    fr_buf_printf(b, "<form method=\"post\" action=\"/cases/%" PRId64 "/notes\" id=\"add-note\">",
                  case_id);
    fr_page_csrf(r, b);
    int focused = 0;
    fr_page_input in = {.id = "f-note-text",
                        .name = "text",
                        .label = T("note.add"),
                        .required = 1,
                        .maxlength = FR_TEXT_NOTE_MAX,
                        .rows = 4,
                        .value = fr_refusal_value(r, refused, "note", "text"),
                        .problem = fr_page_problem(fr_refusal_problems(refused, "note"), "text")};
    fr_page_field(b, &in, &focused);
    fr_page_input on = {.id = "f-note-on",
                        .name = "on",
                        .label = T("note.on"),
                        .date = 1,
                        .placeholder = T("forms.date_placeholder"),
                        .value = fr_refusal_value(r, refused, "note", "on"),
                        .problem = fr_page_problem(fr_refusal_problems(refused, "note"), "on")};
    fr_page_field(b, &on, &focused);
    fr_buf_puts(b, "<button type=\"submit\">");
    fr_buf_esc(b, T("note.addbutton"));
    fr_buf_puts(b, "</button></form>");
}

void fr_ui_case_notes(fr_req *r, fr_buf *b, int64_t case_id, json_t *cs, const fr_refusal *refused)
{
    json_t *notes = json_object_get(cs, "notes");
    /* a read-only user, or anyone reaching the case for reading only,
     * gets no form: the kernel would refuse the note */
    int writes = fr_access_case_quiet(r->site, case_id, FR_WRITE);
    if (!writes && json_array_size(notes) == 0)
        return;
    fr_buf_puts(b, "<section id=\"notes\" class=\"card\"><h2>");
    fr_buf_esc(b, T("case.notes"));
    fr_buf_puts(b, "</h2>");
    if (writes)
        note_form(r, b, case_id, refused);
    if (json_array_size(notes) == 0) {
        fr_buf_puts(b, "<p class=\"muted\">");
        fr_buf_esc(b, T("note.none"));
        fr_buf_puts(b, "</p></section>");
        return;
    }
    fr_buf_puts(b, "<ul class=\"notes\">");
    /* newest first: the last contact is the one read first */
    for (size_t i = json_array_size(notes); i-- > 0;) {
        json_t *v = json_array_get(notes, i);
        char d[32];
        const char *origin = fr_js(v, "origin");
        fr_buf_puts(b, "<li><time>");
        fr_buf_esc(b, fr_human_date(fr_js(v, "created_at"), d));
        fr_buf_puts(b, "</time> ");
        /* a hook acts under its own name ("hook:site.x"), said below */
        size_t n = strlen(origin);
        const char *author = fr_js(v, "author");
        if (strcmp(origin, "person") == 0 || strncmp(author, origin, n) != 0 || author[n] != ':') {
            fr_buf_puts(b, "<strong>");
            fr_buf_esc(b, fr_js(v, "author_name"));
            fr_buf_puts(b, "</strong> ");
        }
        if (strcmp(origin, "person") != 0) {
            /* a hook's or a plugin's, named by its reference when it has one */
            fr_buf_puts(b, "<span class=\"muted\">(");
            fr_buf_esc(b, T(strcmp(origin, "hook") == 0 ? "note.by_hook" : "note.by_plugin"));
            if (*fr_js(v, "origin_ref")) {
                fr_buf_puts(b, " ");
                fr_buf_esc(b, fr_js(v, "origin_ref"));
            }
            fr_buf_puts(b, ")</span>");
        }
        if (*fr_js(v, "contact_on")) {
            fr_buf_puts(b, " <span class=\"muted\">· ");
            fr_buf_esc(b, T("note.contact"));
            fr_buf_puts(b, " ");
            fr_buf_esc(b, fr_human_date(fr_js(v, "contact_on"), d));
            fr_buf_puts(b, "</span>");
        }
        fr_buf_puts(b, "<p class=\"prewrap\">");
        fr_buf_esc(b, fr_js(v, "text"));
        fr_buf_puts(b, "</p></li>");
    }
    fr_buf_puts(b, "</ul></section>");
}

/* Checked in the user's language before the kernel (which checks again);
 * then the kernel's refusal under the text, or back to the notes. */
static void ui_case_note(fr_req *r, fr_resp *w)
{
    int64_t id = fr_parse_id(r->params[0]);
    json_t *problems = fr_page_check(r, note_rules, 1);
    char on[11];
    fr_ui_past_date_check(r, &note_rules[1], "note.on_future", &problems, on);
    fr_page_after_opening(r, &problems, id, on[0] ? on : NULL, note_rules, NNOTE_RULES, "on");
    if (problems) {
        fr_ui_case_refused(r, w, id, "note", problems);
        return;
    }
    fr_error err = {0};
    int64_t nid = 0;
    if (fr_case_add_note_on(r->site, id, fr_req_field(r, "text"), on[0] ? on : NULL, "person", NULL,
                            &nid, &err)) {
        fr_ui_case_failed(r, w, id, "note", &err, note_rules, NNOTE_RULES);
        return;
    }
    fr_server_deliver(r);
    fr_resp_redirect(w, "/cases/%" PRId64 "?msg=flash.saved#notes", id);
}

const fr_route fr_routes_case_notes[] = {
    {"POST", "/cases/{id}/notes", ui_case_note, 0},
    {0},
};
