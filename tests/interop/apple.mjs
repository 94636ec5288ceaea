// A Sign in with Apple stand-in, addressed as http://localhost:PORT so that
// its answer reaches claimgate (http://127.0.0.1) as a real cross-site form
// POST from Chromium: the page it serves posts code, state and (on the first
// authorization only) user to claimgate's callback. Its token endpoint
// verifies the ES256 client-secret JWT claimgate signs with the .p8 key, as
// Apple does, and answers an RS256 ID token with Apple's quirks: the string
// "true" for email_verified and a private relay address.
import http from 'node:http';
import crypto from 'node:crypto';
import * as jose from 'jose';

export const APPLE = { servicesId: 'com.example.interop', teamId: 'INTEROP123', keyId: 'INTEROPKEY' };

export async function startApple() {
  // The .p8 key claimgate holds (PKCS#8 P-256), and the stand-in's own ID-token key.
  const p8 = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p8Pem = p8.privateKey.export({ type: 'pkcs8', format: 'pem' });
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'apple-interop-1', alg: 'RS256', use: 'sig' };
  delete jwk.d; delete jwk.p; delete jwk.q; delete jwk.dp; delete jwk.dq; delete jwk.qi;
  const state = { grants: new Map(), authorizedBefore: false, secrets: [], crossSitePosts: 0 };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    const json = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer, authorization_endpoint: `${issuer}/auth/authorize`, token_endpoint: `${issuer}/auth/token`,
        jwks_uri: `${issuer}/auth/keys`, response_types_supported: ['code'], response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'], id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'email', 'name'], token_endpoint_auth_methods_supported: ['client_secret_post'],
      });
    }
    if (url.pathname === '/auth/keys') return json(200, { keys: [jwk] });
    if (url.pathname === '/auth/authorize') {
      const q = url.searchParams;
      const code = `apple-${crypto.randomBytes(16).toString('hex')}`;
      state.grants.set(code, { nonce: q.get('nonce'), responseMode: q.get('response_mode'), scope: q.get('scope') });
      const fields = { code, state: q.get('state') };
      if (!state.authorizedBefore) {
        fields.user = JSON.stringify({ name: { firstName: 'Jane', lastName: 'Appleseed' }, email: 'q8r4@privaterelay.appleid.com' });
        state.authorizedBefore = true;
      }
      const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`).join('');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(`<!doctype html><html lang="en"><head><title>Apple (stand-in)</title></head><body>
<form method="post" action="${esc(q.get('redirect_uri'))}">${inputs}<button type="submit">Continue</button></form>
<script>document.forms[0].submit();</script></body></html>`);
    }
    if (url.pathname === '/auth/token' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      try {
        const key = await jose.importSPKI(p8.publicKey.export({ type: 'spki', format: 'pem' }), 'ES256');
        const { payload, protectedHeader } = await jose.jwtVerify(form.get('client_secret') ?? '', key, {
          issuer: APPLE.teamId, subject: APPLE.servicesId, audience: issuer, algorithms: ['ES256'], requiredClaims: ['iat', 'exp'],
        });
        if (protectedHeader.kid !== APPLE.keyId || payload.exp - payload.iat > 180 * 24 * 3600) throw new Error('kid or lifetime');
        state.secrets.push({ ok: true });
      } catch (e) {
        state.secrets.push({ ok: false, reason: e.message });
        return json(400, { error: 'invalid_client' });
      }
      const grant = state.grants.get(form.get('code'));
      state.grants.delete(form.get('code'));
      if (!grant || form.get('client_id') !== APPLE.servicesId) return json(400, { error: 'invalid_grant' });
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new jose.SignJWT({
        nonce: grant.nonce, nonce_supported: true, email: 'q8r4@privaterelay.appleid.com',
        email_verified: 'true', is_private_email: 'true', real_user_status: 2, auth_time: now,
      }).setProtectedHeader({ alg: 'RS256', kid: jwk.kid }).setIssuer(issuer).setAudience(APPLE.servicesId)
        .setSubject('001234.interop.0042').setIssuedAt(now).setExpirationTime(now + 600).sign(privateKey);
      return json(200, { access_token: 'apple-access', token_type: 'Bearer', expires_in: 3600, refresh_token: 'apple-refresh', id_token: idToken });
    }
    res.writeHead(404); res.end();
  });
  // Every interface: "localhost" may resolve to ::1 or 127.0.0.1.
  await new Promise((ok) => server.listen(0, ok));
  const issuer = `http://localhost:${server.address().port}`;
  return { issuer, p8Pem, state, server };
}
