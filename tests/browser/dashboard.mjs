// The dashboard in a real headless Chromium, as a supervisor would use it: open /dashboard, get
// the login form, log in, land on the page with its charts, check what the DOM holds against
// the figures the caller expects (from the JSON report endpoints), take a full-page screenshot,
// and log out. Run by tests/api/dashboard.rs; prints one JSON line of what it saw and exits 1
// on the first failed check.
//
// Environment: MOTCUA_BASE (http://127.0.0.1:PORT), MOTCUA_USER, MOTCUA_PASSWORD,
// MOTCUA_QUERY (e.g. ?from=2026-01-01&to=2026-12-01), MOTCUA_EXPECT (a JSON object of
// data-metric → text, e.g. {"on_time_rate": "84.09%"}), MOTCUA_SCREENSHOT (the PNG to write),
// MOTCUA_CHROMIUM (the browser, /usr/bin/chromium by default).

import { chromium } from "playwright-core";

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const base = env("MOTCUA_BASE");
const query = env("MOTCUA_QUERY", "");
const expected = JSON.parse(env("MOTCUA_EXPECT", "{}"));
const screenshot = env("MOTCUA_SCREENSHOT");

const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

const browser = await chromium.launch({
  executablePath: env("MOTCUA_CHROMIUM", "/usr/bin/chromium"),
  headless: true,
  chromiumSandbox: false,
  args: [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const seen = { console: [], requests: [] };
try {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: "vi-VN",
    timezoneId: "Asia/Ho_Chi_Minh",
  });
  const page = await context.newPage();
  // Errors and warnings of the page (a Content-Security-Policy violation is one), but not
  // the 401 of the wrong password tried on purpose.
  page.on("console", (m) => {
    const expected = m.text().includes("status of 401");
    if ((m.type() === "error" || m.type() === "warning") && !expected) seen.console.push(m.text());
  });
  page.on("pageerror", (e) => seen.console.push(String(e)));
  page.on("request", (r) => seen.requests.push(r.url()));

  // Without a session: the login form.
  const first = await page.goto(`${base}/dashboard${query}`);
  check(first.status() === 200, `GET /dashboard without a session: ${first.status()}`);
  check((await page.locator("form.login").count()) === 1, "the login form is shown");

  // A wrong password: the form again, with the error.
  await page.fill("#username", env("MOTCUA_USER"));
  await page.fill("#password", "not-the-password");
  await Promise.all([page.waitForLoadState("load"), page.click("form.login button")]);
  check(
    (await page.locator(".error").count()) === 1,
    "a wrong password shows the form again with an error",
  );

  // The right one: the cookie, then the dashboard.
  await page.fill("#username", env("MOTCUA_USER"));
  await page.fill("#password", env("MOTCUA_PASSWORD"));
  await Promise.all([
    page.waitForURL(`${base}/dashboard`),
    page.click("form.login button"),
  ]);
  const cookies = await context.cookies(base + "/dashboard");
  const session = cookies.find((c) => c.name === "motcua_dashboard");
  check(session !== undefined, "the session cookie is set");
  check(session?.httpOnly === true, "the session cookie is HttpOnly");
  check(session?.sameSite === "Strict", "the session cookie is SameSite=Strict");
  check(session?.path === "/dashboard", "the session cookie is for /dashboard only");
  check((await page.evaluate(() => document.cookie)) === "", "scripts cannot read the cookie");

  // The period asked for.
  if (query) await page.goto(`${base}/dashboard${query}`);
  await page.waitForSelector('svg[data-chart="units"]');
  const charts = {};
  for (const name of ["units", "received", "rates"]) {
    charts[name] = await page
      .locator(`svg[data-chart="${name}"]`)
      .evaluate((svg) => ({
        rects: svg.querySelectorAll("rect").length,
        paths: svg.querySelectorAll("path").length,
        width: svg.getBoundingClientRect().width,
        height: svg.getBoundingClientRect().height,
      }));
    check(charts[name].width > 300 && charts[name].height > 150, `the ${name} chart is drawn`);
  }
  check(charts.units.rects > 10, "bars per unit");
  check(charts.rates.paths >= 2, "two lines per month");
  const figures = {};
  for (const [metric, text] of Object.entries(expected)) {
    const tile = page.locator(`.tile[data-metric="${metric}"] .v`);
    figures[metric] = (await tile.count()) ? (await tile.innerText()).trim() : null;
    check(figures[metric] === text, `${metric}: ${figures[metric]} shown, ${text} expected`);
  }
  const indicators = await page.locator("tr[data-indicator]").count();
  check(indicators >= 7, `the Decision 766 indicators (${indicators} rows)`);
  const units = await page.locator('table[data-table="units"] tr[data-unit]').count();
  const title = await page.title();
  await page.screenshot({ path: screenshot, fullPage: true });

  // Nothing but the service was asked for, and nothing was refused by the policy.
  check(
    seen.requests.every((url) => url.startsWith(base)),
    `only the service is requested: ${seen.requests.filter((u) => !u.startsWith(base))}`,
  );
  check(seen.console.length === 0, `no console errors: ${seen.console.join(" | ")}`);

  // Logging out ends the session.
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click("header form button")]);
  check((await page.locator("form.login").count()) === 1, "logged out: the login form");
  const left = (await context.cookies(base + "/dashboard")).filter(
    (c) => c.name === "motcua_dashboard",
  );
  check(left.length === 0, "logged out: the cookie is gone");

  console.log(JSON.stringify({ title, charts, figures, indicators, units, failures }));
} catch (e) {
  failures.push(String(e));
  console.log(JSON.stringify({ failures }));
} finally {
  await browser.close();
}
process.exit(failures.length ? 1 : 0);
