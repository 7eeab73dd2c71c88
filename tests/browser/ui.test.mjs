// Browser tests of the case manager's interface: headless Debian chromium
// driven by playwright-core. Starts its own server on a free loopback port
// with its own temporary site; saves screenshots of the main pages under
// $SCREENSHOT_DIR (the build folder) for review.
//   node ui.test.mjs path/to/filrouge
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// Skipped (exit 77) when scripts/test has not installed the browser tools.
let chromium;
try {
  ({ chromium } = await import("playwright-core"));
} catch {
  console.log("# skip: playwright-core is not installed (scripts/test installs it)");
  process.exit(77);
}
if (!existsSync("/usr/bin/chromium")) {
  console.log("# skip: Debian's chromium is not installed (scripts/test installs it)");
  process.exit(77);
}

const FR = process.argv[2] || process.env.FILROUGE_BIN;
const tmp = mkdtempSync(join(process.env.TEST_TMP_BASE || "/tmp", "browser-"));
const shots = process.env.SCREENSHOT_DIR || join(tmp, "screenshots");
mkdirSync(shots, { recursive: true });
const env = { ...process.env, FILROUGE_SITE: join(tmp, "site"), FILROUGE_LOG: join(tmp, "log") };
delete env.FILROUGE_USER;
const fr = (args, input) => execFileSync(FR, args, { env, input, encoding: "utf8" });

let n = 0, failed = 0;
function check(cond, desc, detail) {
  n++;
  if (cond) console.log(`ok ${n} - ${desc}`);
  else {
    failed++;
    console.log(`not ok ${n} - ${desc}`);
    if (detail !== undefined) console.log(`#   ${String(detail).slice(0, 500)}`);
  }
}

fr(["init", env.FILROUGE_SITE, "--name", "Browser"]);
fr(["plugin", "enable", "instruments"]);
fr(["plugin", "enable", "frailty"]);
// the frailty plugin brings its forms, among them the Edmonton Frail Scale
// as an external result
fr(["team", "add", "Namur Est"]);
for (const [login, role, lang] of [["admin", "admin", "fr"], ["marie", "case_manager", "fr"],
                                   ["dr-janssens", "provider", "nl"]]) {
  fr(["user", "add", login, "--name", login, "--role", role, "--language", lang, "--capacity", "40"]);
  fr(["user", "passwd", login], "correct-horse\n");
}
fr(["team", "join", "Namur Est", "marie"]);
// a site form with a nested repeat group, to add and remove rows in the page
mkdirSync(join(env.FILROUGE_SITE, "forms"), { recursive: true });
writeFileSync(join(env.FILROUGE_SITE, "forms", "household.xml"), `<?xml version="1.0" encoding="UTF-8"?>
<form xmlns="urn:filrouge:form:1" id="household" version="1">
  <title lang="fr">Ménage</title>
  <field id="birth" type="date"><label lang="fr">Naissance du demandeur</label></field>
  <field id="help" type="text" relevant="age(birth) &gt;= 65"><label lang="fr">Aide à domicile</label></field>
  <group id="person" repeat="true">
    <label lang="fr">Personne</label>
    <field id="name" type="text" required="true"><label lang="fr">Nom</label></field>
    <group id="contact" repeat="true">
      <label lang="fr">Contact</label>
      <field id="when" type="date"><label lang="fr">Quand</label></field>
      <field id="what" type="text"><label lang="fr">Quoi</label></field>
    </group>
  </group>
</form>
`);

const server = spawn(FR, ["serve", "--listen", "127.0.0.1:0", "--threads", "3"], { env });
const base = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (d) => {
    out += d;
    const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
    if (m) resolve(`http://127.0.0.1:${m[1]}`);
  });
  server.on("exit", () => reject(new Error("server exited: " + out)));
});

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
                                        args: ["--no-sandbox"] });
let dialogs = 0;
const scriptErrors = [];
async function newPage(viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ viewport, locale: "fr-BE" });
  const page = await ctx.newPage();
  page.on("dialog", async (d) => { dialogs++; await d.dismiss(); });
  page.on("pageerror", (e) => { scriptErrors.push(e.message); });
  return page;
}
async function login(page, who) {
  await page.goto(base + "/login");
  await page.getByLabel(/Identifiant|Gebruikersnaam|Login/).fill(who);
  await page.getByLabel(/Mot de passe|Wachtwoord|Password/).fill("correct-horse");
  await page.getByRole("button", { name: /Se connecter|Aanmelden|Log in/ }).click();
}

try {
  // 1. log in
  const page = await newPage();
  await page.goto(base + "/login");
  await page.screenshot({ path: join(shots, "01-login.png"), fullPage: true });
  await login(page, "marie");
  check(page.url().endsWith("/caseload"), "marie logs in and lands on her caseload", page.url());
  check(await page.getByRole("heading", { name: "Ma file active" }).isVisible(),
        "the interface speaks French by default");

  // 2. create a patient
  await page.goto(base + "/patients");
  await page.getByLabel("Nom de famille").fill("Lambert");
  await page.getByLabel("Prénoms").fill("Jeanne");
  await page.getByLabel("Date de naissance").fill("12/03/1941");
  await page.getByLabel("Localité").fill("Namur");
  await page.getByRole("button", { name: "Enregistrer", exact: true }).click();
  check(/\/patients\/\d+/.test(page.url()), "a patient is registered from the form", page.url());
  check(await page.getByText("12/03/1941").isVisible(), "the birth date shows as dd/mm/yyyy");
  const patientUrl = page.url().split("?")[0];

  // 3. open a frailty case
  await page.locator("#f-workflow").selectOption("frailty");
  await page.getByLabel("Équipe").selectOption("Namur Est");
  await page.getByRole("button", { name: "Ouvrir le dossier" }).click();
  check(/\/cases\/\d+/.test(page.url()), "a frailty case is opened", page.url());
  const caseUrl = page.url().split("?")[0];
  // the state by its title in the user's language (the workflow's <title>)
  check(await page.locator("dd strong").first().textContent() === "Signalement",
        "the case starts in 'referral', shown as « Signalement »");

  // 3b. rows of a nested repeat group added and removed in the page
  await page.goto(caseUrl + "/forms/household");
  await page.evaluate(() => { window.__samePage = true; });
  const helpHidden = () => page.locator("#field-help").evaluate((e) => e.hidden);
  const before = await helpHidden();
  await page.locator("#f-birth").fill("12/03/1941");
  const old = await helpHidden();
  await page.locator("#f-birth").fill("01/01/2020");
  check(before && !old && await helpHidden(),
        "relevance with age() is evaluated live in the page (hidden, shown at 85, hidden at 6)",
        [before, old]);
  await page.locator("#f-birth").fill("");
  await page.locator("#f-person-1-name").fill("Anne");
  await page.locator("#f-person-1-contact-1-what").fill("appel");
  await page.getByRole("button", { name: /Personne/ }).click();
  await page.locator("#f-person-2-name").fill("Bernard");
  await page.getByRole("button", { name: /Personne/ }).click();
  await page.locator("#f-person-3-name").fill("Paul");
  await page.locator("#group-person-3-contact button.fr-addrow").click();
  await page.locator("#f-person-3-contact-2-when").fill("05/03/2026");
  check(await page.evaluate(() => window.__samePage === true) &&
        await page.locator("#f-person-3-contact-1-what").inputValue() === "",
        "rows are added in the page without a reload, copied empty");
  await page.locator("#group-person > .fr-row").nth(1).locator(":scope > .fr-row-actions button").click();
  const names = await page.locator("#group-person > .fr-row input[name$='.name']")
    .evaluateAll((els) => els.map((e) => e.name + "=" + e.value));
  check(JSON.stringify(names) === JSON.stringify(["person[1].name=Anne", "person[2].name=Paul"]) &&
        await page.locator("input[name='person[2].contact[2].when']").inputValue() === "05/03/2026",
        "removing a row numbers the others again, nested rows included", JSON.stringify(names));
  await page.getByRole("button", { name: "Finaliser" }).click();
  const sub = await (await page.request.get(
    base + "/api/v1/cases/" + caseUrl.split("/").pop() + "/submissions?form=household")).json();
  const data = (sub[0] || {}).data || {};
  check(data.person && data.person.length === 2 && data.person[1].name === "Paul" &&
        data.person[1].contact[1].when === "2026-03-05",
        "what the server stores is what the page showed", JSON.stringify(sub).slice(0, 300));

  // network member, then the picture
  await page.getByText("Ajouter un membre du réseau").click();
  await page.locator("#f-kind").selectOption("formal");
  await page.locator("#f-name").fill("Dr An Janssens");
  await page.locator("#f-role").fill("médecin généraliste");
  await page.getByRole("button", { name: "Ajouter", exact: true }).click();
  await page.getByText("Ajouter un membre du réseau").click();
  await page.locator("#f-kind").selectOption("informal");
  await page.locator("#f-name").fill("Sophie Lambert");
  await page.locator("#f-relation").fill("fille");
  await page.locator("#f-phone").fill("0470 12 34 5x");
  await page.locator("#f-since").fill("1/3/2026");
  await page.getByRole("button", { name: "Ajouter", exact: true }).click();
  // refused: the case page again, the form open, the problem under the phone
  const phoneProblem = page.locator("#f-phone-problem");
  check(await phoneProblem.isVisible() &&
        (await phoneProblem.textContent()).includes("n'est pas un numéro de téléphone") &&
        await page.locator("#f-name").inputValue() === "Sophie Lambert" &&
        await page.locator("#f-relation").inputValue() === "fille" &&
        await page.locator("#f-since").inputValue() === "1/3/2026" &&
        await page.locator("#f-kind").inputValue() === "informal",
        "a network member with a wrong phone comes back with the problem under it, all typed kept",
        await page.locator("#add-network").textContent());
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === "f-phone",
        "the phone, the field to fix, has the focus",
        await page.evaluate(() => document.activeElement && document.activeElement.id));
  await page.screenshot({ path: join(shots, "03b-network-refused.png"), fullPage: true });
  await page.locator("#f-phone").fill("+32 470 12 34 56");
  await page.getByRole("button", { name: "Ajouter", exact: true }).click();
  const svgText = await page.locator("figure.network svg").textContent();
  check(svgText.includes("Dr An Janssens") && svgText.includes("Sophie Lambert"),
        "the network map shows formal and informal members", svgText);

  // 4. fire the next step
  await page.getByRole("button", { name: "Passer au screening", exact: true }).click();
  check(await page.getByText("Étape enregistrée.").isVisible(), "firing 'screen' is confirmed");
  check(await page.locator("dd strong").first().textContent() === "Identification (screening)",
        "the case is now in 'screening', shown by its French title");
  await page.screenshot({ path: join(shots, "03-case.png"), fullPage: true });

  // 4b. a note of a contact, on the case page
  await page.getByLabel("Ajouter une note").fill("Appel de la fille :\nchute hier soir, pas de blessure.");
  await page.getByRole("button", { name: "Enregistrer la note", exact: true }).click();
  const noteText = await page.locator("#notes ul.notes li").first().textContent();
  check(noteText.includes("marie") && noteText.includes("chute hier soir"),
        "a note written on the case page is listed first, signed", noteText);

  // 5. the new task in the échéancier
  await page.goto(base + "/schedule");
  check(await page.getByText("Screening (BelRAI screener)").isVisible(),
        "the workflow's new task is in the échéancier");
  await page.screenshot({ path: join(shots, "04-schedule.png"), fullPage: true });
  check(await page.getByRole("checkbox", { name: "Tout sélectionner", exact: true }).count() === 1,
        "the échéancier's select-all box has a name for screen readers, in the user's language");
  await page.goto(base + "/caseload");
  await page.screenshot({ path: join(shots, "02-caseload.png"), fullPage: true });

  // 5b. fill the frailty scale with one error, see it, fix it
  await page.goto(patientUrl);
  await page.locator("#f-workflow").selectOption("frailty");
  await page.getByLabel("Équipe").selectOption("Namur Est");
  await page.getByRole("button", { name: "Ouvrir le dossier" }).click();
  const assessUrl = page.url().split("?")[0];
  await page.getByRole("link", { name: /Échelle de fragilité d'Edmonton/ }).click();
  check(/\/forms\/efs$/.test(page.url()), "the case page links to the frailty scale", page.url());
  const dateInput = page.locator("#f-date");
  check(await dateInput.getAttribute("type") === "text" &&
        await dateInput.getAttribute("placeholder") === "jj/mm/aaaa",
        "the date field is typed day/month/year (not the browser's locale picker)");
  await page.locator("#f-total").fill("25");
  await dateInput.fill("10/01/2026");
  await page.locator("#f-assessor").fill("Marie");
  await page.locator("#f-instrument-version").fill("1");
  await page.locator("#f-licence").fill("UA-1");
  await page.getByRole("button", { name: "Finaliser" }).click();
  const fieldError = page.locator("#field-total .fr-error");
  check(await fieldError.isVisible(), "the error shows next to the total",
        await page.locator("main").textContent());
  check(await page.locator("#f-assessor").inputValue() === "Marie", "the other answers are kept");
  check(await page.locator("#f-date").inputValue() === "10/01/2026",
        "the date comes back day/month/year", await page.locator("#f-date").inputValue());
  await page.screenshot({ path: join(shots, "05b-form-error.png"), fullPage: true });
  await page.locator("#f-total").fill("8");
  await page.getByRole("button", { name: "Finaliser" }).click();
  check(page.url().startsWith(assessUrl) && await page.getByText("Formulaire enregistré.").isVisible(),
        "fixed, the form is saved", page.url());
  const formsText = await page.locator("#forms").textContent();
  check(formsText.includes("efs = 8") && formsText.includes("Fragilité légère"),
        "the case page shows the score and its band", formsText);
  await page.screenshot({ path: join(shots, "05c-case-forms.png"), fullPage: true });

  // 5b'. live relevance: a field appears and disappears as answers change
  // (the frailty screening's "diagnosed by" only when dementia is known)
  await page.goto(assessUrl + "/forms/frailty-screening");
  const dementiaBy = page.locator("#field-dementia-by");
  check(await dementiaBy.isHidden(), "a field that is not relevant yet is hidden",
        await dementiaBy.getAttribute("hidden"));
  await page.locator("#f-dementia").selectOption("true");
  check(await dementiaBy.isVisible(), "answering 'yes' shows the dependent field at once");
  await page.screenshot({ path: join(shots, "05e-form-relevance.png"), fullPage: true });
  await page.locator("#f-dementia").selectOption("false");
  check(await dementiaBy.isHidden(), "answering 'no' hides it again");
  check(scriptErrors.length === 0, "the page's script raised no error", scriptErrors.join("; "));

  // 5c. a case registered after the fact: its opening corrected on the case
  // page (the concertation below was held before it was registered); the
  // care plan with the person's approval; a concertation with a decision
  await page.goto(assessUrl);
  await page.getByText("Corriger la date d'ouverture").click();
  await page.locator("#o-on").fill("05/01/2026");
  await page.locator("#o-reason").fill("dossier saisi après coup");
  await page.getByRole("button", { name: "Corriger", exact: true }).click();
  check((await page.locator(".facts").textContent()).includes("05/01/2026"),
        "the opening date is corrected from the case page", await page.locator(".facts").textContent());
  await page.getByText("Ajouter un objectif").click();
  await page.locator("#g-title").fill("Rester chez soi");
  await page.getByRole("button", { name: "Ajouter l'objectif" }).click();
  check(await page.locator("#needs-approval").isVisible(), "the plan says it needs the person's approval");
  await page.getByLabel(/Approuvé par/).fill("Jeanne Lambert");
  await page.getByLabel("Comment").selectOption("oral");
  await page.getByRole("button", { name: "Enregistrer l'approbation" }).click();
  check(await page.locator("#needs-approval").count() === 0 &&
        (await page.locator("#careplan").textContent()).includes("Jeanne Lambert (oralement)"),
        "the approval is recorded, by whom and how");
  await page.getByRole("link", { name: "Nouvelle concertation" }).click();
  await page.locator("#m-held").fill("31/02/2026");
  await page.locator("#o1-name").fill("Jeanne Lambert");
  await page.locator("#o1-role").fill("la personne");
  await page.getByLabel("Compte rendu").fill("Souhaite rester chez elle.");
  await page.getByRole("button", { name: "Enregistrer la réunion" }).click();
  check((await page.locator("#m-held-problem").textContent()).includes("jour/mois/année") &&
        await page.evaluate(() => document.activeElement.id) === "m-held" &&
        await page.getByLabel("Compte rendu").inputValue() === "Souhaite rester chez elle." &&
        await page.locator("#o1-name").inputValue() === "Jeanne Lambert",
        "a meeting with a wrong date comes back with the problem under the date, which has the "
        + "focus, and the minutes and participants still typed", await page.locator("main").textContent());
  await page.locator("#m-held").fill("20/01/2026");
  await page.getByRole("button", { name: "Enregistrer la réunion" }).click();
  await page.locator("#d-title").fill("Repas à domicile");
  await page.locator("#d-responsible").fill("CPAS");
  await page.locator("#d-due").fill("01/02/2026");
  await page.getByRole("button", { name: "Ajouter la décision" }).click();
  const decisions = await page.locator("#decisions").textContent();
  check(decisions.includes("Repas à domicile") && decisions.includes("01/02/2026"),
        "the meeting's decision shows with its deadline", decisions);
  await page.screenshot({ path: join(shots, "05d-meeting.png"), fullPage: true });
  const meetingUrl = page.url().split("?")[0];

  // 5d. an intervision (peer case review) with a decision on a reviewed case
  await page.getByRole("link", { name: "Intervisions" }).click();
  await page.getByRole("link", { name: "Nouvelle intervision" }).click();
  const boxes = await page.locator("input[type=checkbox]").evaluateAll((all) =>
    all.map((c) => c.id.replace(/^p\d+-/, "") + (c.checked ? "+" : "-")));
  check(boxes.includes("inv+") && boxes.includes("pres-") && !boxes.includes("pres+"),
        "a new intervision: its case managers invited, nobody ticked present in advance", boxes);
  await page.locator("#p1-pres").check();
  await page.locator("#m-held").fill("10/03/2026");
  await page.locator("#m-place").fill("Namur");
  await page.locator("#m-minutes").fill("Deux situations revues.");
  await page.getByRole("button", { name: "Enregistrer la réunion" }).click();
  await page.locator("#d-case").fill(assessUrl.split("/").pop());
  await page.locator("#d-title").fill("Revoir le plan avec la famille");
  await page.locator("#d-responsible").fill("Marie");
  await page.getByRole("button", { name: "Ajouter la décision" }).click();
  const ivDecisions = await page.locator("#decisions").textContent();
  check(ivDecisions.includes("Revoir le plan avec la famille") && ivDecisions.includes("Dossier"),
        "an intervision's decision goes to a reviewed case", ivDecisions);
  await page.screenshot({ path: join(shots, "05f-intervision.png"), fullPage: true });

  // 5e. a personal API token, shown once
  await page.goto(base + "/settings");
  await page.getByRole("link", { name: "Jetons d'API personnels" }).click();
  await page.getByLabel(/Nom \(à quoi il sert\)/).fill("export mensuel");
  await page.getByRole("button", { name: "Créer le jeton" }).click();
  const secret = await page.locator("#new-token code").textContent();
  check(/^frt_[0-9a-f]{64}$/.test(secret), "a personal API token is made and shown", secret);
  await page.screenshot({ path: join(shots, "05g-tokens.png"), fullPage: true });
  await page.goto(base + "/settings/tokens");
  check(!(await page.locator("main").textContent()).includes(secret),
        "the token is never shown again");

  // 6. no care relationship → refused; break-glass → audited
  const dr = await newPage();
  await login(dr, "dr-janssens");
  check(await dr.getByRole("heading", { name: "Mijn caseload" }).isVisible(),
        "a Dutch-speaking user sees the interface in Dutch");
  const refused = await dr.goto(caseUrl);
  check(refused.status() === 403 &&
        await dr.getByText("U bent niet de casemanager van dit dossier").isVisible() &&
        !(await dr.locator("main").textContent()).includes("no care relationship"),
        "a provider without a care relationship is refused (403), told why in Dutch",
        await dr.locator("main").textContent());
  await dr.getByLabel(/Reden/).fill("urgence, appel du SAMU");
  await dr.screenshot({ path: join(shots, "05-refused.png"), fullPage: true });
  await dr.getByRole("button", { name: /noodtoegang/ }).click();
  check(dr.url().startsWith(caseUrl) && await dr.getByText("Lambert Jeanne").first().isVisible(),
        "break-glass with a reason opens the case", dr.url());
  await page.goto(caseUrl);
  check(await page.getByText("urgence, appel du SAMU").isVisible(),
        "the case manager sees the break-glass access on the case page");
  const admin = await newPage();
  await login(admin, "admin");
  await admin.goto(base + "/admin");
  const auditText = await admin.locator("table.audit").textContent();
  check(auditText.includes("break-glass") && auditText.includes("dr-janssens") &&
        auditText.includes("urgence, appel du SAMU"), "the break-glass access is in the audit trail");
  await admin.getByRole("button", { name: "Vérifier la chaîne" }).click();
  check(await admin.getByText("Journal d'audit intact").isVisible(), "the audit chain verifies");
  await admin.screenshot({ path: join(shots, "06-admin.png"), fullPage: true });

  // 7. a patient named <script>alert(1)</script> renders as text
  await page.goto(base + "/patients");
  await page.getByLabel("Nom de famille").fill("<script>alert(1)</script>");
  await page.getByLabel("Prénoms").fill("<img src=x onerror=alert(2)>");
  await page.getByRole("button", { name: "Enregistrer", exact: true }).click();
  const h1 = await page.locator("h1").textContent();
  check(h1.includes("<script>alert(1)</script>"), "the name shows as text", h1);
  await page.goto(base + "/patients");
  check(dialogs === 0, "no script from user text ever ran", dialogs);
  await page.screenshot({ path: join(shots, "07-patients-xss.png"), fullPage: true });

  // 7b. closing a case asks first (one tap on a phone must not close it)
  {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "fr-BE" });
    const phone = await ctx.newPage();
    const asked = [];
    phone.on("dialog", async (d) => { asked.push(d.message()); await d.dismiss(); });
    await login(phone, "marie");
    await phone.goto(caseUrl);
    const closing = phone.locator("button[name=event][data-confirm]");
    check(await closing.count() >= 1 &&
          await phone.locator("button[name=event]:not([data-confirm])").count() >= 1,
          "the events that close the case ask first, the others do not");
    await closing.first().click();
    check(asked.length === 1 && asked[0].startsWith("Clôturer ce dossier ?"),
          "a closing event asks « Clôturer ce dossier ? »", asked);
    check(phone.url() === caseUrl, "dismissed: nothing is sent", phone.url());
    await ctx.close();
  }

  // 8. the intake form creates a triage item
  const anon = await newPage();
  await anon.goto(base + "/refer");
  await anon.getByLabel("Votre nom").fill("Sophie Lambert");
  await anon.getByLabel(/Comment vous joindre/).fill("0470 00 00 00");
  await anon.getByLabel("Nom de la personne concernée").fill("Jozef Peeters");
  await anon.getByLabel(/La situation/).fill("Vit seul, chutes répétées, refuse l'aide.");
  await anon.screenshot({ path: join(shots, "08-refer.png"), fullPage: true });
  await anon.getByRole("button", { name: "Envoyer le signalement" }).click();
  check(await anon.getByText("Votre signalement a été reçu").isVisible(), "the intake is received");
  await page.goto(base + "/triage");
  check(await page.getByRole("heading", { name: "Jozef Peeters" }).isVisible(),
        "the intake waits in the triage queue");
  await page.screenshot({ path: join(shots, "09-triage.png"), fullPage: true });

  // 9. a phone's width
  const phone = await newPage({ width: 375, height: 740 });
  await login(phone, "marie");
  await phone.goto(caseUrl);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!overflow, "the case page fits a phone's width (no horizontal scroll)");
  await phone.screenshot({ path: join(shots, "10-case-phone.png"), fullPage: true });
  const call = phone.locator("ul.members a[href='tel:+32470123456']");
  check(await call.isVisible() && (await phone.locator("ul.members").textContent()).includes("Sophie Lambert — fille"),
        "on a phone the network is also a list, a relative's number a link to call",
        await phone.locator("ul.members").count());
  await phone.goto(caseUrl.replace(/\d+$/, "") + "2/forms/efs");
  const formOverflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  check(!formOverflow, "the form page fits a phone's width");
  await phone.screenshot({ path: join(shots, "11-form-phone.png"), fullPage: true });
  await phone.goto(meetingUrl);
  check(!(await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)),
        "the meeting page fits a phone's width");
  await phone.goto(caseUrl.replace(/\d+$/, "") + "2/meetings/new");
  check(!(await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)),
        "the concertation form fits a phone's width");
  await phone.screenshot({ path: join(shots, "12-concertation-phone.png"), fullPage: true });
  await phone.goto(caseUrl);

  const { csrf } = await (await phone.request.get(base + "/api/v1/me")).json();
  const long = await (await phone.request.post(base + "/api/v1/patients", {
    headers: { "X-CSRF-Token": csrf },
    data: { family_name: "Vanderstraeten-Oosterlinck".repeat(3), given_names: "Marie-Christine" } })).json();
  await phone.goto(base + "/patients/" + long.id);
  check(!(await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)),
        "a name longer than the screen wraps instead of widening the page", long.id);
  await phone.goto(base + "/caseload");
  const due = phone.locator("table.stack td[data-label='Prochaine échéance']").first();
  const box = await due.boundingBox();
  check(box && box.x + box.width <= 375 && await due.isVisible() &&
        !(await phone.evaluate(() => [...document.querySelectorAll(".scroll")].some((s) => s.scrollWidth > s.clientWidth + 1))),
        "on a phone the caseload's rows are blocks: the next due date is on the screen, nothing to scroll sideways",
        JSON.stringify(box));
  await phone.screenshot({ path: join(shots, "13-caseload-phone.png"), fullPage: true });
  await phone.goto(caseUrl);

  // keyboard: the first Tab reaches the skip link
  await phone.keyboard.press("Tab");
  const focused = await phone.evaluate(() => document.activeElement.className);
  check(focused === "skip", "the first Tab reaches the 'skip to content' link", focused);
} catch (e) {
  check(false, "the browser scenario ran to the end", e.stack);
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
console.log(`# screenshots in ${shots}`);
console.log(`${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
