#!/usr/bin/env node
// A demo application that signs in through claimgate with openid-client (a
// certified Relying Party library), with ID-token signature checks on, and
// shows exactly what it received.
//
//   node app.mjs    # env: ISSUER, CLIENT_ID, CLIENT_SECRET, PORT, AUTH_METHOD, ID_TOKEN_ALG, REFRESH, DPOP, PAR, PRIVATE_JWK
//   ISSUER=http://127.0.0.1:8080 CLIENT_ID=demo CLIENT_SECRET=demo-secret PORT=8081 node app.mjs
//
// With DPOP=1 its tokens are bound to a key it holds (RFC 9449: every token
// and userinfo request carries a proof); with PAR=1 it pushes its
// authorization requests (RFC 9126) and the browser carries a request_uri.
//
// Routes: /  (status)  /login  /callback  /logout  /refresh (with REFRESH=1)
//         POST /backchannel-logout (OpenID Connect Back-Channel Logout 1.0;
//         register it as the client's backchannel_logout_uri)
//         POST /ssf/events (SSF=push), GET /ssf-log (SSF=push or poll): Shared
//         Signals security events (the client needs ssf = true); with SSF=poll
//         the app polls claimgate (RFC 8936) when /ssf-log is read.
import http from 'node:http';
import crypto from 'node:crypto';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// How the app authenticates at claimgate's back-channel endpoints: its
// secret, or (private_key_jwt, RFC 7523) a JWT signed with its private key;
// an RSA key signs PS256, a P-256 key ES256.
async function clientAuth(authMethod, clientSecret, privateJwk) {
  if (authMethod === 'private_key_jwt') {
    const algorithm = privateJwk.kty === 'RSA' ? { name: 'RSA-PSS', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
    const key = await crypto.webcrypto.subtle.importKey('jwk', privateJwk, algorithm, false, ['sign']);
    return client.PrivateKeyJwt({ key, kid: privateJwk.kid });
  }
  return authMethod === 'client_secret_post' ? client.ClientSecretPost(clientSecret) : client.ClientSecretBasic(clientSecret);
}

export async function startDemoApp({ issuer, clientId, clientSecret, port = 0, authMethod = 'client_secret_basic', title = clientId, idTokenAlg = 'RS256', refresh = false, dpop = false, par = false, exposeTokens = false, privateJwk = undefined, ssf = undefined }) {
  const auth = await clientAuth(authMethod, clientSecret, privateJwk);
  // The algorithm claimgate signs this app's ID tokens with (its client's
  // id_token_signed_response_alg); openid-client refuses any other.
  const metadata = { id_token_signed_response_alg: idTokenAlg, ...(clientSecret ? { client_secret: clientSecret } : {}) };
  const config = await client.discovery(new URL(issuer), clientId, metadata, auth, {
    execute: issuer.startsWith('http://') ? [client.allowInsecureRequests] : [],
  });
  // Verify the ID token's signature against claimgate's JWKS.
  client.enableNonRepudiationChecks(config);
  // One DPoP key for this app instance; openid-client answers nonce challenges itself.
  const DPoP = dpop ? client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256')) : undefined;
  const sessions = new Map(); // demo session id -> { pending, result }
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const logouts = []; // { sid, sub, jti, ended } of every logout token received, for the demo's own page
  const seenJti = new Set();
  // Cookies ignore ports: two demo apps on one host need two cookie names.
  const cookie = `demo_sid_${clientId.replace(/\W/g, '_')}`;

  let signals; // the Shared Signals stream, once made (ssf)
  const server = http.createServer(async (req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    const url = new URL(req.url, base);
    const sid = new RegExp(`${cookie}=([\\w-]+)`).exec(req.headers.cookie ?? '')?.[1];
    const session = sid ? sessions.get(sid) : undefined;
    const page = (status, body) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto">${body}</body></html>`);
    };
    try {
      if (url.pathname === '/login') {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        const id = crypto.randomUUID();
        sessions.set(id, { pending: { verifier, state, nonce } });
        const parameters = {
          redirect_uri: `${base}/callback`,
          // offline_access: a refresh token (the client needs refresh_tokens = true).
          scope: refresh ? 'openid profile email offline_access' : 'openid profile email',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        };
        const target = par
          ? await client.buildAuthorizationUrlWithPAR(config, parameters, { DPoP })
          : client.buildAuthorizationUrl(config, parameters);
        res.writeHead(302, { location: target.href, 'set-cookie': `${cookie}=${id}; HttpOnly; Path=/; SameSite=Lax` });
        return res.end();
      }
      if (url.pathname === '/callback') {
        if (!session?.pending) return page(400, '<h1>No login in progress</h1>');
        if (url.searchParams.get('error')) return page(400, `<h1>Sign-in failed</h1><p id="error">${esc(url.searchParams.get('error'))}</p>`);
        const tokens = await client.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: session.pending.verifier,
          expectedState: session.pending.state,
          expectedNonce: session.pending.nonce,
        }, undefined, { DPoP });
        const idClaims = tokens.claims();
        const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub, { DPoP });
        session.pending = undefined;
        session.result = { idClaims, userinfo, idToken: tokens.id_token, refreshToken: tokens.refresh_token, tokenType: tokens.token_type, accessToken: tokens.access_token };
        res.writeHead(302, { location: '/' });
        return res.end();
      }
      if (url.pathname === '/refresh') {
        // RFC 6749 §6: a new access token (and a new refresh token: keep only the newest).
        const r = session?.result;
        if (!r?.refreshToken) return page(400, '<h1>No refresh token</h1>');
        const tokens = await client.refreshTokenGrant(config, r.refreshToken, undefined, { DPoP });
        const idClaims = tokens.claims();
        r.userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub, { DPoP });
        r.tokenType = tokens.token_type;
        r.accessToken = tokens.access_token;
        r.refreshed = { sameSub: idClaims.sub === r.idClaims.sub, rotated: tokens.refresh_token !== r.refreshToken };
        r.refreshToken = tokens.refresh_token;
        res.writeHead(302, { location: '/' });
        return res.end();
      }
      if (url.pathname === '/backchannel-logout' && req.method === 'POST') {
        // Back-Channel Logout 1.0 §2.6: verify the token, end the sessions it names, answer 200.
        let body = '';
        for await (const chunk of req) body += chunk;
        const token = new URLSearchParams(body).get('logout_token') ?? '';
        try {
          const { payload } = await jwtVerify(token, jwks, {
            issuer: config.serverMetadata().issuer, audience: clientId, typ: 'logout+jwt', algorithms: [idTokenAlg],
          });
          if (!payload.events?.['http://schemas.openid.net/event/backchannel-logout'] || 'nonce' in payload || !payload.jti) {
            throw new Error('not a logout token');
          }
          let ended = 0;
          if (!seenJti.has(payload.jti)) {
            seenJti.add(payload.jti);
            for (const [id, s] of sessions) {
              if (s.result && (s.result.idClaims.sid === payload.sid || (!payload.sid && s.result.idClaims.sub === payload.sub))) {
                sessions.delete(id);
                ended += 1;
              }
            }
          }
          logouts.push({ sid: payload.sid, sub: payload.sub, jti: payload.jti, ended });
          res.writeHead(200, { 'cache-control': 'no-store' });
        } catch {
          res.writeHead(400, { 'cache-control': 'no-store' });
        }
        return res.end();
      }
      if (url.pathname === '/ssf/events' && req.method === 'POST' && signals) {
        // RFC 8935 §2: one SET as the body; 202 when accepted, 400 with an err code when not.
        let body = '';
        for await (const chunk of req) body += chunk;
        if (req.headers.authorization !== signals.pushSecret) {
          res.writeHead(400, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ err: 'authentication_failed', description: 'wrong Authorization' }));
        }
        try {
          signals.receive(await signals.verify(body));
          res.writeHead(202);
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.write(JSON.stringify({ err: 'invalid_key', description: 'the SET did not verify' }));
        }
        return res.end();
      }
      if (url.pathname === '/ssf-log' && signals) {
        if (ssf === 'poll') await signals.poll();
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(signals.log));
      }
      if (url.pathname === '/access-token' && exposeTokens) {
        // Tests only (exposeTokens): what a thief who stole the access token would hold.
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(session?.result?.accessToken ?? '');
      }
      if (url.pathname === '/backchannel-log') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(logouts));
      }
      if (url.pathname === '/logout') {
        const idToken = session?.result?.idToken;
        if (sid) sessions.delete(sid);
        if (!idToken) { res.writeHead(302, { location: '/' }); return res.end(); }
        const target = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: `${base}/`, state: 'bye' });
        res.writeHead(302, { location: target.href, 'set-cookie': `${cookie}=; Path=/; Max-Age=0` });
        return res.end();
      }
      if (url.pathname === '/') {
        const r = session?.result;
        if (!r) return page(200, `<h1>${esc(title)}</h1><p id="status">Not signed in.</p><p><a id="login" href="/login">Sign in</a></p>`);
        const u = r.userinfo;
        return page(200, `<h1>${esc(title)}</h1><p id="status">Signed in.</p>
${u.picture ? `<img id="picture" src="${esc(u.picture)}" alt="profile picture" width="64" height="64">` : ''}
<dl><dt>Name</dt><dd id="name">${esc(u.name ?? '')}</dd><dt>Email</dt><dd id="email">${esc(u.email ?? '')}</dd>
<dt>Subject</dt><dd id="sub">${esc(u.sub)}</dd>
<dt>Access token type</dt><dd id="token-type">${esc(r.tokenType ?? '')}</dd>
<dt>ID token signed with</dt><dd id="id-alg">${esc(JSON.parse(Buffer.from(r.idToken.split('.')[0], 'base64url')).alg)}</dd></dl>
${r.refreshToken ? `<p><a id="refresh" href="/refresh">Refresh the tokens</a></p>` : ''}
${r.refreshed ? `<p id="refreshed">Refreshed: same subject ${r.refreshed.sameSub ? 'yes' : 'no'}, refresh token rotated ${r.refreshed.rotated ? 'yes' : 'no'}.</p>` : ''}
<h2>ID token claims</h2><pre id="id-claims">${esc(JSON.stringify(r.idClaims, null, 1))}</pre>
<h2>Userinfo</h2><pre id="userinfo">${esc(JSON.stringify(u, null, 1))}</pre>
<p><a id="logout" href="/logout">Sign out</a></p>`);
      }
      page(404, '<h1>Not found</h1>');
    } catch (e) {
      page(500, `<h1>Error</h1><pre id="error">${esc(e?.message ?? e)}</pre>`);
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  signals = ssf ? await sharedSignals({ config, issuer, clientId, idTokenAlg, DPoP, jwks, method: ssf, pushUrl: `${url}/ssf/events` }) : undefined;
  return { server, url, stream: signals?.stream };
}

// Shared Signals (SSF 1.0): the app's own stream, made with a
// client_credentials token of scope ssf; every SET verified with jose
// (typ secevent+jwt, iss, aud, signature against claimgate's JWKS).
async function sharedSignals({ config, issuer, clientId, idTokenAlg, DPoP, jwks, method, pushUrl }) {
  const meta = await (await fetch(new URL('/.well-known/ssf-configuration', issuer))).json();
  const token = async () => (await client.clientCredentialsGrant(config, { scope: 'ssf' }, { DPoP })).access_token;
  const call = async (target, init) => {
    const r = await fetch(target, { ...init, headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json', ...init?.headers } });
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
  };
  const pushSecret = `Bearer ${crypto.randomBytes(16).toString('hex')}`;
  const wanted = {
    delivery: method === 'push' ? { method: 'urn:ietf:rfc:8935', endpoint_url: pushUrl, authorization_header: pushSecret } : { method: 'urn:ietf:rfc:8936' },
    events_requested: [
      'https://schemas.openid.net/secevent/risc/event-type/account-purged',
      'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
    ],
    description: `${clientId} (demo)`,
  };
  let created = await call(meta.configuration_endpoint, { method: 'POST', body: JSON.stringify(wanted) });
  if (created.status === 409) {
    // One stream per client: replace the one it has.
    const [current] = (await call(meta.configuration_endpoint, { method: 'GET' })).body;
    created = await call(meta.configuration_endpoint, { method: 'PUT', body: JSON.stringify({ ...wanted, stream_id: current.stream_id }) });
  }
  if (created.status !== 201 && created.status !== 200) throw new Error(`stream not created: ${created.status} ${JSON.stringify(created.body)}`);
  const stream = created.body;
  const log = []; // { type, sub, jti, txn } of every SET received
  const seen = new Set();
  const verify = async (set) => (await jwtVerify(set, jwks, { issuer: config.serverMetadata().issuer, audience: clientId, typ: 'secevent+jwt', algorithms: [idTokenAlg] })).payload;
  const receive = (payload) => {
    if (seen.has(payload.jti)) return; // at least once: ignore a repeat
    seen.add(payload.jti);
    const [type] = Object.keys(payload.events);
    log.push({ type, sub: payload.sub_id?.sub, format: payload.sub_id?.format, jti: payload.jti, txn: payload.txn });
  };
  // RFC 8936: take what is held, acknowledge what verified.
  const poll = async () => {
    let ack = [];
    for (let i = 0; i < 10; i += 1) {
      const r = await call(stream.delivery.endpoint_url, { method: 'POST', body: JSON.stringify({ returnImmediately: true, ack }) });
      ack = [];
      for (const [jti, set] of Object.entries(r.body.sets ?? {})) {
        receive(await verify(set));
        ack.push(jti);
      }
      if (ack.length === 0) return;
    }
  };
  return { stream, log, verify, receive, poll, pushSecret };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await startDemoApp({
    issuer: process.env.ISSUER ?? 'http://127.0.0.1:8080',
    clientId: process.env.CLIENT_ID ?? 'demo',
    clientSecret: process.env.CLIENT_SECRET ?? 'demo-secret',
    port: Number(process.env.PORT ?? 8081),
    authMethod: process.env.AUTH_METHOD ?? 'client_secret_basic',
    title: process.env.TITLE ?? 'Demo app',
    idTokenAlg: process.env.ID_TOKEN_ALG ?? 'RS256',
    refresh: process.env.REFRESH === '1',
    dpop: process.env.DPOP === '1',
    par: process.env.PAR === '1',
    // AUTH_METHOD=private_key_jwt: the app's private key as a JWK (JSON, with kid).
    privateJwk: process.env.PRIVATE_JWK ? JSON.parse(process.env.PRIVATE_JWK) : undefined,
    // SSF=push or SSF=poll: a Shared Signals stream (the client needs ssf = true).
    ssf: process.env.SSF || undefined,
  });
  console.log(`demo app on ${url} — open ${url}/login`);
}
