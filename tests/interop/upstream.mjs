// The upstream: oidc-provider (a certified OpenID Provider) configured like
// Google — its claims and ID-token shape, PKCE required — plus extra claims
// that claimgate must drop. Every value that must not pass carries MARKER.
import http from 'node:http';
import zlib from 'node:zlib';
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
          picture: `${issuer}/jane.png`,
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
    if (req.url === '/jane.png') {
      // The profile picture, served here (claimgate fetches it at login, offline).
      res.writeHead(200, { 'content-type': 'image/png' });
      return res.end(pictureWithMetadata(marker));
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

/** A 64x64 PNG (a blue disc) carrying MARKER in a text chunk, as a camera's
 * or editor's metadata would: claimgate must serve its own re-encoding. */
export function pictureWithMetadata(marker) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4); length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const size = 64;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0); header.writeUInt32BE(size, 4);
  header[8] = 8; header[9] = 2; // 8-bit RGB
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x += 1) {
      const inside = (x - 32) ** 2 + (y - 32) ** 2 < 30 ** 2;
      row.set(inside ? [0x1a, 0x56, 0xdb] : [0xff, 0xff, 0xff], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('tEXt', Buffer.from(`Comment\0taken by ${marker}`, 'latin1')),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
