// The upstream: oidc-provider (a certified OpenID Provider) configured like
// Google — its claims and ID-token shape, PKCE required — plus extra claims
// that claimgate must drop. Every value that must not pass carries MARKER.
import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

export async function startUpstream({ port = 0, marker, redirectUris }) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'upstream-1', alg: 'RS256', use: 'sig' };
  const server = http.createServer();
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const accountId = `upstream-sub-${marker}`;
  const state = { logins: 0 };

  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'claimgate',
      client_secret: 'upstream-secret',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['interop-cookie-key'] },
    pkce: { required: () => true },
    // Like Google: profile claims in the ID token itself.
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'picture', 'given_name', 'family_name', 'locale', 'hd', 'phone_number', 'birthdate', 'groups'],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      if (id !== accountId) return undefined;
      return {
        accountId,
        claims: async () => ({
          sub: accountId,
          email: 'jane.doe@example.com',
          email_verified: true,
          name: 'Jane Doe',
          picture: `${issuer}/jane.svg`,
          given_name: `Given${marker}`,
          family_name: `Family${marker}`,
          locale: `en-${marker}`,
          hd: `${marker}.example.com`,
          phone_number: `+1555${marker}`,
          birthdate: `1990-${marker}`,
          groups: [`admins-${marker}`],
        }),
      };
    },
  });
  provider.proxy = false;

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (req.url === '/jane.svg') {
      // The profile picture, served here so that the screenshot shows it offline.
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      return res.end('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" rx="32" fill="#1a56db"/><text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff" font-family="sans-serif">JD</text></svg>');
    }
    const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url);
    if (!m) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (!m[2]) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(`<!doctype html><html><head><title>Upstream sign-in</title></head><body>
<h1>Upstream provider</h1><p>Sign in to continue to claimgate.</p>
<form method="post" action="/interaction/${details.uid}/login"><button id="upstream-login" type="submit">Sign in as Jane</button></form>
</body></html>`);
      }
      state.logins += 1;
      const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e?.message ?? e));
    }
  });
  return { issuer, server, state, accountId };
}
