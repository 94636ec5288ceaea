// The interop suite: claimgate (release binary) between oidc-provider as the
// upstream and openid-client (in the demo app) as the downstream, driven by
// Debian's Chromium through playwright-core; then a misbehaving upstream.
// Exits non-zero on any failure. Run through run.sh.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startUpstream } from './upstream.mjs';
import { startBadUpstream, CASES } from './bad-upstream.mjs';
import { startApple, APPLE } from './apple.mjs';
import { startDemoApp } from '../../examples/demo-app/app.mjs';
import { accessibilityAudit, a11yConfig, startA11yApp } from './accessibility.mjs';

const here = import.meta.dirname;
const root = path.resolve(here, '../..');
const bin = process.env.CLAIMGATE_BIN ?? path.join(root, 'target/release/claimgate');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const artifacts = path.join(here, 'artifacts');
const marker = `IOMARK${crypto.randomBytes(6).toString('hex')}`;
const work = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'claimgate-interop-'));
fs.mkdirSync(artifacts, { recursive: true });

const results = [];
let failures = 0;
function check(name, ok, detail = '') {
  results.push({ name, ok, detail });
  if (!ok) failures += 1;
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? ` — ${detail}` : ''}`);
}

const freePort = () => new Promise((ok) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});

const cgPort = await freePort();
const cg = `http://127.0.0.1:${cgPort}`;
const [portA, portB, portC, portD, portE] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
const upstream = await startUpstream({ marker, redirectUris: [`${cg}/callback/upstream`] });
const bad = await startBadUpstream({ marker });
// Sign in with Apple's stand-in, on another site (localhost) than claimgate (127.0.0.1).
const apple = await startApple();
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
fs.writeFileSync(path.join(work, 'signing.pem'), privateKey);
// A second signing algorithm, chosen by app B (id_token_signed_response_alg).
const ed = crypto.generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
fs.writeFileSync(path.join(work, 'signing-ed25519.pem'), ed.privateKey);
// A PS256 key, as claimgate makes one (PKCS#8 id-RSASSA-PSS), for app D's ID tokens.
fs.writeFileSync(path.join(work, 'signing-ps256.pem'), execFileSync(bin, ['keys', 'generate', '--only', 'signing-key', '--alg', 'PS256']));
// App D holds no secret: it signs its own assertions (private_key_jwt) with this key.
const appD = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const appDJwk = { ...appD.privateKey.export({ format: 'jwk' }), kid: 'demo-d-1' };
const appDPublic = { kty: 'RSA', n: appDJwk.n, e: appDJwk.e, kid: appDJwk.kid };
fs.writeFileSync(path.join(work, 'AuthKey.p8'), apple.p8Pem);
const a11yApp = await startA11yApp();
const prefix = `interop:${crypto.randomBytes(4).toString('hex')}:`;

function config(store) {
  const storeSection = store === 'redis' ? `[store]\nkind = "redis"\nurl = "${redisUrl}"\nkey_prefix = "${prefix}"\n` : '[store]\nkind = "memory"\n';
  return `[server]
listen = "127.0.0.1:${cgPort}"
public_url = "${cg}"
log_level = "debug"
${storeSection}
[notice]
keeps = ["name", "email", "picture"]
version = "interop"
# Every scenario comes from one address.
[limits]
sign_in_per_minute = 6000
[keys]
signing_key_files = ["${path.join(work, 'signing.pem')}", "${path.join(work, 'signing-ed25519.pem')}", "${path.join(work, 'signing-ps256.pem')}"]
pairwise_secret = "an-interop-pairwise-secret-of-32-chars"
storage_keys = ["i1:${crypto.randomBytes(32).toString('base64')}"]
[providers.upstream]
kind = "oidc"
display_name = "Google (test)"
issuer = "${upstream.issuer}"
client_id = "claimgate"
client_secret = "upstream-secret"
picture_hosts = ["${new URL(upstream.issuer).host}"]
[providers.bad]
kind = "oidc"
display_name = "Misbehaving"
issuer = "${bad.issuer}"
client_id = "claimgate"
client_secret = "bad-secret"
[providers.apple]
kind = "apple"
issuer = "${apple.issuer}"
client_id = "${APPLE.servicesId}"
team_id = "${APPLE.teamId}"
key_id = "${APPLE.keyId}"
private_key_file = "${path.join(work, 'AuthKey.p8')}"
[clients.demo-a]
name = "Demo app A"
client_secret = "secret-a"
redirect_uris = ["http://127.0.0.1:${portA}/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:${portA}/"]
refresh_tokens = true
backchannel_logout_uri = "http://127.0.0.1:${portA}/backchannel-logout"
claims = ["name", "email", "picture"]
providers = ["upstream"]
ssf = true
[clients.demo-b]
name = "Demo app B"
client_secret = "secret-b"
redirect_uris = ["http://127.0.0.1:${portB}/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:${portB}/"]
id_token_signed_response_alg = "EdDSA"
claims = ["name", "email", "picture"]
optional_claims = ["picture"]
providers = ["upstream"]
ssf = true
[clients.demo-c]
name = "Demo app C"
client_secret = "secret-c"
redirect_uris = ["http://127.0.0.1:${portC}/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:${portC}/"]
claims = ["name", "email", "picture"]
providers = ["upstream"]
refresh_tokens = true
require_dpop = true
require_pushed_authorization_requests = true
[clients.demo-d]
name = "Demo app D"
redirect_uris = ["http://127.0.0.1:${portD}/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:${portD}/"]
claims = ["name", "email"]
providers = ["upstream"]
refresh_tokens = true
token_endpoint_auth_method = "private_key_jwt"
jwks = '${JSON.stringify({ keys: [appDPublic] })}'
fapi2 = true
[clients.demo-e]
name = "Demo app E"
client_secret = "secret-e"
redirect_uris = ["http://127.0.0.1:${portE}/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:${portE}/"]
claims = ["name", "email"]
providers = ["apple"]
[clients.probe]
client_secret = "probe-secret"
redirect_uris = ["http://127.0.0.1:9/cb"]
claims = ["name", "email", "picture"]
providers = ["bad"]
${a11yConfig(a11yApp.url)}`;
}

let logs = '';
async function startClaimgate(store) {
  const file = path.join(work, `${store}.toml`);
  fs.writeFileSync(file, config(store));
  const child = spawn(bin, ['serve', '--config', file], { env: { ...process.env, RUST_LOG: 'trace', NO_COLOR: '1' } });
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  for (let i = 0; i < 100; i += 1) {
    try { if ((await fetch(`${cg}/healthz`)).ok) return child; } catch { /* not yet */ }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`claimgate did not start:\n${logs}`);
}

const allowedId = new Set(['iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid', 'sub', 'name', 'email', 'email_verified', 'picture']);
const allowedInfo = new Set(['sub', 'name', 'email', 'email_verified', 'picture']);

const launchChromium = () => chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function browserScenarios(store) {
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext()).newPage();
    const before = upstream.state.logins;
    await page.goto(`http://127.0.0.1:${portA}/login`);
    const notice = await page.textContent('main');
    check(`[${store}] notice page names the app and what it receives`, notice.includes('Demo app A asks you to sign in') && notice.includes('your name, your email address and your profile picture'), notice.slice(0, 120));
    await page.click('button:has-text("Continue with Google (test)")');
    await page.click('#upstream-login');
    await page.waitForSelector('#status');
    check(`[${store}] browser login reaches app A`, (await page.textContent('#status')) === 'Signed in.');
    const name = await page.textContent('#name');
    const email = await page.textContent('#email');
    const picture = await page.getAttribute('#picture', 'src');
    check(`[${store}] app A shows name, email and picture`, name === 'Jane Doe' && email === 'jane.doe@example.com' && picture?.startsWith(`${cg}/picture/`), `${name} / ${email} / ${picture}`);
    // The picture proxy: Chromium loads claimgate's re-encoded copy in app A's page.
    const loaded = await page.$eval('#picture', (img) => img.complete && img.naturalWidth === 64 && img.naturalHeight === 64);
    check(`[${store}] Chromium shows the proxied picture in app A's page`, loaded);
    const idClaims = JSON.parse(await page.textContent('#id-claims'));
    const info = JSON.parse(await page.textContent('#userinfo'));
    const extraId = Object.keys(idClaims).filter((k) => !allowedId.has(k));
    const extraInfo = Object.keys(info).filter((k) => !allowedInfo.has(k));
    check(`[${store}] openid-client (client_secret_basic, signature checked) sees only allowed claims`, extraId.length === 0 && extraInfo.length === 0, [...extraId, ...extraInfo].join(','));
    const served = await fetch(picture);
    const bytes = Buffer.from(await served.arrayBuffer());
    check(`[${store}] the picture is claimgate's PNG, not the provider's file or URL`, served.headers.get('content-type') === 'image/png'
      && !bytes.includes(marker) && !bytes.includes('tEXt') && idClaims.picture === picture && info.picture === picture
      && !JSON.stringify([idClaims, info]).includes(upstream.issuer), `${served.status} ${idClaims.picture}`);
    const html = await page.content();
    check(`[${store}] no upstream value reaches app A`, !html.includes(marker) && info.sub !== upstream.accountId && !html.includes(upstream.accountId));
    await page.screenshot({ path: path.join(artifacts, `login-${store}.png`), fullPage: true });
    check(`[${store}] exactly one upstream login`, upstream.state.logins === before + 1, `${upstream.state.logins - before}`);

    // A second app in the same browser session: no second upstream login.
    await page.goto(`http://127.0.0.1:${portB}/login`);
    const second = await page.textContent('main');
    check(`[${store}] app B gets its own notice`, second.includes('Demo app B asks you to sign in'));
    // Its picture is optional: a checkbox, unticked by default; the user leaves it so.
    const box = await page.$('input[type=checkbox][name=claim][value=picture]');
    check(`[${store}] app B's notice offers the picture as an unticked checkbox`, box !== null && !(await box.isChecked()));
    await page.screenshot({ path: path.join(artifacts, `notice-choice-${store}.png`), fullPage: true });
    await page.click('button:has-text("Continue")');
    await page.waitForSelector('#status');
    const subB = await page.textContent('#sub');
    const infoB = JSON.parse(await page.textContent('#userinfo'));
    check(`[${store}] app B (client_secret_post) signed in without a second upstream login`, upstream.state.logins === before + 1 && infoB.email === 'jane.doe@example.com');
    await page.goto(`http://127.0.0.1:${portA}/`);
    const algA = await page.textContent('#id-alg');
    await page.goto(`http://127.0.0.1:${portB}/`);
    const algB = await page.textContent('#id-alg');
    check(`[${store}] openid-client verifies app A's RS256 and app B's EdDSA ID tokens`, algA === 'RS256' && algB === 'EdDSA', `${algA} / ${algB}`);
    check(`[${store}] app B receives a different sub`, subB !== info.sub && subB.length > 20, `${info.sub} vs ${subB}`);
    check(`[${store}] app B, whose picture the user left unticked, receives none; app A still does`, infoB.picture === undefined && infoB.name === 'Jane Doe'
      && (await fetch(info.picture)).status === 200, `${JSON.stringify(infoB)}`);
    await page.screenshot({ path: path.join(artifacts, `second-app-${store}.png`), fullPage: true });

    // A third app pushes its request (PAR) and binds its tokens to its key
    // (DPoP), through openid-client; claimgate requires both of it.
    // openid-client reports token_type in lower case.
    await page.goto(`http://127.0.0.1:${portC}/login`);
    const noticeC = await page.textContent('main');
    check(`[${store}] app C's pushed request reaches the notice page`, noticeC.includes('Demo app C asks you to sign in') && page.url().includes('request_uri='), page.url());
    await page.click('button:has-text("Continue")');
    await page.waitForSelector('#status');
    const typeC = await page.textContent('#token-type');
    const infoC = JSON.parse(await page.textContent('#userinfo'));
    check(`[${store}] openid-client signs in with PAR and DPoP and reads userinfo with a DPoP proof`, (await page.textContent('#status')) === 'Signed in.' && typeC.toLowerCase() === 'dpop' && infoC.email === 'jane.doe@example.com', `${typeC} ${JSON.stringify(infoC)}`);
    const stolen = await (await fetch(`http://127.0.0.1:${portC}/access-token`, { headers: { cookie: (await page.context().cookies()).filter((c) => c.name.startsWith('demo_sid_demo_c')).map((c) => `${c.name}=${c.value}`).join('; ') } })).text();
    const asBearer = await fetch(`${cg}/userinfo`, { headers: { authorization: `Bearer ${stolen}` } });
    check(`[${store}] app C's access token, stolen, is refused as a bearer token`, stolen.length > 20 && asBearer.status === 401 && (asBearer.headers.get('www-authenticate') ?? '').startsWith('DPoP '), `${asBearer.status} ${asBearer.headers.get('www-authenticate')}`);
    const front = await fetch(`${cg}/authorize?client_id=demo-c&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`http://127.0.0.1:${portC}/callback`)}`, { redirect: 'manual' });
    check(`[${store}] app C's requests through the front channel are refused`, (front.headers.get('location') ?? '').includes('error=invalid_request'), front.headers.get('location'));
    await page.click('#refresh');
    await page.waitForSelector('#refreshed');
    check(`[${store}] openid-client refreshes app C's tokens with DPoP`, (await page.textContent('#token-type')).toLowerCase() === 'dpop' && (await page.textContent('#refreshed')).includes('rotated yes'));

    // A fourth app under the FAPI 2.0 Security Profile: no secret
    // (private_key_jwt, PS256 assertions made by openid-client), PAR and DPoP
    // required, PS256 ID tokens, refresh tokens not rotated.
    await page.goto(`http://127.0.0.1:${portD}/login`);
    await page.click('button:has-text("Continue")');
    await page.waitForSelector('#status');
    const infoD = JSON.parse(await page.textContent('#userinfo'));
    check(`[${store}] openid-client signs in a FAPI 2.0 client with private_key_jwt, PAR and DPoP, and reads userinfo`, (await page.textContent('#status')) === 'Signed in.' && (await page.textContent('#token-type')).toLowerCase() === 'dpop'
      && (await page.textContent('#id-alg')) === 'PS256' && infoD.email === 'jane.doe@example.com', `${await page.textContent('main').catch(() => '')} ${JSON.stringify(infoD)}`);
    await page.click('#refresh');
    await page.waitForSelector('#refreshed');
    check(`[${store}] openid-client refreshes the FAPI 2.0 client's tokens with an assertion and DPoP; the refresh token is not rotated`, (await page.textContent('#refreshed')).includes('rotated no') && (await page.textContent('#token-type')).toLowerCase() === 'dpop', await page.textContent('#refreshed'));
    const secretD = await fetch(`${cg}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('demo-d:guess').toString('base64')}` }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }) });
    check(`[${store}] the FAPI 2.0 client cannot authenticate with a secret`, secretD.status === 401, `${secretD.status}`);

    // Sign in with Apple: Apple's page (another site) form-POSTs to claimgate;
    // the sign-in cookie (SameSite=Lax) is not sent on that POST, so claimgate
    // answers 303 to itself and the browser's GET carries it.
    const appleContext = await browser.newContext();
    const applePage = await appleContext.newPage();
    await applePage.goto(`http://127.0.0.1:${portE}/login`);
    await applePage.click('button:has-text("Continue with Apple")');
    await applePage.waitForSelector('#status');
    const infoE = JSON.parse(await applePage.textContent('#userinfo'));
    const secretOk = apple.state.secrets.length > 0 && apple.state.secrets.every((x) => x.ok);
    check(`[${store}] Chromium signs in with Apple through a cross-site form post: the name once, the relay address, a verified client secret`, (await applePage.textContent('#status')) === 'Signed in.'
      && infoE.name === 'Jane Appleseed' && infoE.email === 'q8r4@privaterelay.appleid.com' && secretOk, `${JSON.stringify(infoE)} ${JSON.stringify(apple.state.secrets)}`);
    await applePage.screenshot({ path: path.join(artifacts, `apple-${store}.png`), fullPage: true });
    await appleContext.close();
    apple.state.authorizedBefore = false;

    // Login CSRF: a callback link made in one browser signs nothing in in another.
    const attackerContext = await browser.newContext();
    let callbackUrl = '';
    // The attacker's own browser follows the upstream's redirects by hand
    // (Playwright does not route redirect hops) and stops before claimgate.
    await attackerContext.route((url) => url.href.startsWith(upstream.issuer) && url.pathname.endsWith('/login'), async (route) => {
      let response = await route.fetch({ maxRedirects: 0 });
      let next = new URL(response.headers().location, upstream.issuer).href;
      for (let i = 0; i < 5 && !next.startsWith(`${cg}/callback/`); i += 1) {
        response = await attackerContext.request.get(next, { maxRedirects: 0 });
        next = new URL(response.headers().location, next).href;
      }
      callbackUrl = next;
      await route.abort();
    });
    const attacker = await attackerContext.newPage();
    await attacker.goto(`http://127.0.0.1:${portB}/login`);
    await attacker.click('button:has-text("Continue with Google (test)")');
    await attacker.click('#upstream-login', { noWaitAfter: true }).catch(() => { /* the callback is aborted */ });
    for (let i = 0; i < 50 && !callbackUrl; i += 1) await new Promise((ok) => setTimeout(ok, 100));
    if (!callbackUrl) console.log(`attacker stopped at ${attacker.url()}: ${(await attacker.content().catch(() => '')).slice(0, 300)}`);
    const victim = await (await browser.newContext()).newPage();
    const landed = callbackUrl ? await victim.goto(callbackUrl) : null;
    const victimCookies = (await victim.context().cookies()).map((c) => c.name);
    check(`[${store}] a callback link from another browser is refused, no session`, landed?.status() === 400
      && (await victim.textContent('h1')).includes('another browser') && !victimCookies.some((n) => n.includes('claimgate-session')),
      `${landed?.status()} ${victimCookies.join(',')}`);

    // Refresh tokens through openid-client's refreshTokenGrant.
    await page.goto(`http://127.0.0.1:${portA}/`);
    await page.click('#refresh');
    await page.waitForSelector('#refreshed');
    const refreshed = await page.textContent('#refreshed');
    check(`[${store}] openid-client refreshes app A's tokens (same sub, rotated refresh token)`, refreshed.includes('same subject yes') && refreshed.includes('rotated yes'), refreshed);

    // The user withdraws app A on /me: app A is told on its back channel
    // (verified with jose) and ends its session; signing in to it again asks again.
    await page.goto(`${cg}/me`);
    const me = await page.textContent('main');
    check(`[${store}] /me shows what each app receives, with a way to withdraw`, me.includes('What you agreed to share') && me.includes('Demo app A') && me.includes('You declined your profile picture'), me.slice(0, 200));
    await page.screenshot({ path: path.join(artifacts, `me-${store}.png`), fullPage: true });
    await page.click('button:has-text("Withdraw everything from Demo app A")');
    await page.waitForSelector('h1');
    let withdrawn = [];
    for (let i = 0; i < 50 && withdrawn.length === 0; i += 1) {
      withdrawn = await (await fetch(`http://127.0.0.1:${portA}/backchannel-log`)).json();
      if (withdrawn.length === 0) await new Promise((ok) => setTimeout(ok, 100));
    }
    await page.goto(`http://127.0.0.1:${portA}/`);
    check(`[${store}] withdrawing app A on /me sends it a back-channel logout and it signs out`, withdrawn.length === 1 && withdrawn[0].ended === 1 && (await page.textContent('#status')) === 'Not signed in.', JSON.stringify(withdrawn));
    await page.goto(`http://127.0.0.1:${portA}/login`);
    check(`[${store}] app A asks for consent again after the withdrawal`, (await page.textContent('main')).includes('Demo app A asks you to sign in'));
    await page.click('button:has-text("Continue")');
    await page.waitForSelector('#status');

    // Logout at app B ends the claimgate session; app A hears of it on its
    // back channel and ends its own session.
    await page.goto(`http://127.0.0.1:${portB}/`);
    await page.click('#logout');
    await page.waitForSelector('#status');
    check(`[${store}] logout returns to app B signed out`, (await page.textContent('#status')) === 'Not signed in.' && page.url().includes('state=bye'), page.url());
    let told = [];
    for (let i = 0; i < 50 && told.length < 2; i += 1) {
      told = await (await fetch(`http://127.0.0.1:${portA}/backchannel-log`)).json();
      if (told.length < 2) await new Promise((ok) => setTimeout(ok, 100));
    }
    await page.goto(`http://127.0.0.1:${portA}/`);
    check(`[${store}] app A receives a back-channel logout (verified with jose) and is signed out`, told.length === 2 && told[1].ended === 1 && (await page.textContent('#status')) === 'Not signed in.', JSON.stringify(told));
    await page.goto(`http://127.0.0.1:${portA}/login`);
    const after = await page.textContent('main');
    check(`[${store}] after logout the next login needs the upstream again`, after.includes('Continue with Google (test)'));

    // Shared Signals: app A made its push stream and app B its poll stream
    // with client_credentials tokens (openid-client); "Delete my data" on /me
    // reaches both with account-purged, each with its own pairwise sub, every
    // SET verified with jose.
    await page.click('button:has-text("Continue with Google (test)")');
    // The upstream may remember the user (its own session): no login page then.
    await page.waitForSelector('#upstream-login, #status');
    if (await page.$('#upstream-login')) await page.click('#upstream-login');
    await page.waitForSelector('#status');
    const subA = await page.textContent('#sub');
    await page.goto(`${cg}/me`);
    await page.click('button:has-text("Delete my data")');
    await page.waitForSelector('h1');
    const purged = 'https://schemas.openid.net/secevent/risc/event-type/account-purged';
    const eventsOf = async (port, n) => {
      let log = [];
      for (let i = 0; i < 50; i += 1) {
        log = await (await fetch(`http://127.0.0.1:${port}/ssf-log`)).json();
        if (log.filter((e) => e.type === purged).length >= n) break;
        await new Promise((ok) => setTimeout(ok, 100));
      }
      return log;
    };
    const pushedA = await eventsOf(portA, 1);
    const polledB = await eventsOf(portB, 1);
    const purgedA = pushedA.filter((e) => e.type === purged);
    const purgedB = polledB.filter((e) => e.type === purged);
    check(`[${store}] app A (push stream made with a client_credentials token) receives account-purged after "Delete my data", about its own sub`,
      purgedA.length === 1 && purgedA[0].sub === subA && purgedA[0].format === 'iss_sub', JSON.stringify(pushedA));
    check(`[${store}] app B polls the same account-purged, about its own different sub, with another txn`,
      purgedB.length === 1 && purgedB[0].sub === subB && subB !== subA && purgedB[0].txn !== purgedA[0]?.txn, JSON.stringify(polledB));
  } finally {
    await browser.close();
  }
}

async function misbehavingUpstream() {
  const rows = [];
  for (const c of CASES) {
    bad.setCase(c);
    let outcome = '';
    let refused = false;
    try {
      const authorize = `${cg}/authorize?client_id=probe&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}&response_type=code&scope=openid%20email%20profile&state=s1&nonce=n1`;
      const noticeResponse = await fetch(authorize);
      // The sign-in cookie binds the login to this client, as a browser's would.
      const cookie = noticeResponse.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const notice = await noticeResponse.text();
      const ticket = /name="ticket" value="([^"]+)"/.exec(notice)[1];
      const cont = await fetch(`${cg}/authorize/continue`, { method: 'POST', headers: { cookie }, body: new URLSearchParams({ ticket, provider: 'bad' }), redirect: 'manual' });
      const atUpstream = await fetch(cont.headers.get('location'), { redirect: 'manual' });
      const callback = await fetch(atUpstream.headers.get('location'), { redirect: 'manual', headers: { cookie } });
      const body = await callback.text();
      const title = /<h1>([^<]*)<\/h1>/.exec(body)?.[1] ?? '';
      const reason = /<p>([^<]*)<\/p>/.exec(body)?.[1] ?? '';
      refused = callback.status >= 400 && title !== '' && !(callback.headers.get('location') ?? '').includes('code=');
      outcome = `${callback.status} ${title}: ${reason.replaceAll('&#x27;', "'")}`;
      if (body.includes(marker)) { refused = false; outcome += ' (LEAKED a marker)'; }
    } catch (e) {
      outcome = `error: ${e.message}`;
    }
    const alive = (await fetch(`${cg}/healthz`)).ok;
    rows.push({ c, refused: refused && alive, outcome: alive ? outcome : `${outcome}; claimgate NOT serving` });
  }
  bad.setCase('none');
  console.log('\nMisbehaving upstream (OpenID RP certification cases):');
  console.log(`${'case'.padEnd(28)} ${'refused'.padEnd(8)} outcome`);
  for (const r of rows) {
    console.log(`${r.c.padEnd(28)} ${(r.refused ? 'yes' : 'NO').padEnd(8)} ${r.outcome}`);
    check(`misbehaving upstream: ${r.c} refused, claimgate still serving`, r.refused, r.refused ? '' : r.outcome);
  }
}

let claimgate;
try {
  for (const store of ['memory', 'redis']) {
    claimgate = await startClaimgate(store);
    const demoA = await startDemoApp({ issuer: cg, clientId: 'demo-a', clientSecret: 'secret-a', port: portA, authMethod: 'client_secret_basic', title: 'Demo app A', refresh: true, ssf: 'push' });
    const demoB = await startDemoApp({ issuer: cg, clientId: 'demo-b', clientSecret: 'secret-b', port: portB, authMethod: 'client_secret_post', title: 'Demo app B', idTokenAlg: 'EdDSA', ssf: 'poll' });
    const demoC = await startDemoApp({ issuer: cg, clientId: 'demo-c', clientSecret: 'secret-c', port: portC, title: 'Demo app C', refresh: true, dpop: true, par: true, exposeTokens: true });
    const demoE = await startDemoApp({ issuer: cg, clientId: 'demo-e', clientSecret: 'secret-e', port: portE, title: 'Demo app E' });
    const demoD = await startDemoApp({ issuer: cg, clientId: 'demo-d', port: portD, authMethod: 'private_key_jwt', privateJwk: appDJwk, title: 'Demo app D', idTokenAlg: 'PS256', refresh: true, dpop: true, par: true });
    await browserScenarios(store);
    if (store === 'memory') {
      await misbehavingUpstream();
      const browser = await launchChromium();
      try {
        await accessibilityAudit({ browser, cg, returnUrl: a11yApp.url, artifacts, check });
      } finally {
        await browser.close();
      }
    }
    demoA.server.close();
    demoB.server.close();
    demoC.server.close();
    demoD.server.close();
    demoE.server.close();
    claimgate.kill();
    await new Promise((ok) => claimgate.once('exit', ok));
    claimgate = undefined;
  }
  check('claimgate logs carry no upstream value (trace level)', !logs.includes(marker) && !logs.includes(upstream.accountId));
} catch (e) {
  check('suite ran to completion', false, e.stack);
} finally {
  if (claimgate) claimgate.kill();
  apple.server.close();
  a11yApp.server.close();
  try {
    const keys = execFileSync('redis-cli', ['-u', redisUrl, '--scan', '--pattern', `${prefix}*`]).toString().split('\n').filter(Boolean);
    if (keys.length) execFileSync('redis-cli', ['-u', redisUrl, 'del', ...keys]);
  } catch { /* nothing to clean */ }
  fs.writeFileSync(path.join(artifacts, 'claimgate.log'), logs);
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(`\n${results.length - failures} passed, ${failures} failed; screenshots in ${artifacts}`);
process.exit(failures ? 1 : 0);
