// A misbehaving upstream, written with jose, for the OpenID RP certification
// cases. The case is chosen per login with setCase(); every token it issues
// is otherwise Google-shaped.
import http from 'node:http';
import crypto from 'node:crypto';
import * as jose from 'jose';

export const CASES = [
  'bad_signature', 'alg_none', 'alg_confusion', 'wrong_issuer', 'wrong_audience', 'extra_audience_without_azp',
  'expired', 'missing_sub', 'nonce_mismatch', 'nonce_missing', 'unknown_kid', 'userinfo_sub_mismatch',
  'unverified_email', 'token_endpoint_error', 'slow_token_endpoint', 'unreachable_jwks', 'state_mismatch',
  'wrong_iss_parameter',
];

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function startBadUpstream({ port = 0, marker }) {
  const good = await jose.generateKeyPair('RS256', { extractable: true });
  const other = await jose.generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(good.publicKey)), kid: 'good-1', alg: 'RS256', use: 'sig' };
  const publicPem = await jose.exportSPKI(good.publicKey);
  const grants = new Map();
  let current = 'none';
  const server = http.createServer();
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const send = (res, status, body, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(type === 'application/json' ? JSON.stringify(body) : body);
  };
  const form = (req) => new Promise((ok) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => ok(new URLSearchParams(data)));
  });

  async function idToken(grant, accessToken) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer, aud: 'claimgate', azp: 'claimgate', sub: `bad-sub-${marker}`,
      email: 'jane.doe@example.com', email_verified: true, name: 'Jane Doe',
      picture: 'https://lh3.googleusercontent.com/a/jane', given_name: `Given${marker}`,
      nonce: grant.nonce, iat: now, exp: now + 3600,
      at_hash: Buffer.from(crypto.createHash('sha256').update(accessToken).digest().subarray(0, 16)).toString('base64url'),
    };
    let key = good.privateKey;
    let header = { alg: 'RS256', kid: 'good-1', typ: 'JWT' };
    switch (current) {
      case 'bad_signature': key = other.privateKey; break;
      case 'alg_none': return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
      case 'alg_confusion':
        return new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'good-1' }).sign(new TextEncoder().encode(publicPem));
      case 'wrong_issuer': claims.iss = 'https://evil.example.com'; break;
      case 'wrong_audience': claims.aud = 'someone-else'; claims.azp = 'someone-else'; break;
      case 'extra_audience_without_azp': claims.aud = ['claimgate', 'someone-else']; delete claims.azp; break;
      case 'expired': claims.iat = now - 7200; claims.exp = now - 3600; break;
      case 'missing_sub': delete claims.sub; break;
      case 'nonce_mismatch': claims.nonce = 'not-the-nonce'; break;
      case 'nonce_missing': delete claims.nonce; break;
      case 'unknown_kid': case 'unreachable_jwks': key = other.privateKey; header = { ...header, kid: 'rotated-2' }; break;
      case 'userinfo_sub_mismatch': delete claims.name; delete claims.email; delete claims.email_verified; delete claims.picture; break;
      case 'unverified_email': claims.email_verified = false; break;
      default: break;
    }
    return new jose.SignJWT(claims).setProtectedHeader(header).sign(key);
  }

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return send(res, 200, {
          issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`,
          userinfo_endpoint: `${issuer}/userinfo`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'],
          subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'], authorization_response_iss_parameter_supported: true,
        });
      case '/jwks':
        if (current === 'unreachable_jwks') { req.socket.destroy(); return undefined; }
        return send(res, 200, { keys: [publicJwk] });
      case '/authorize': {
        const code = `bad-code-${marker}-${crypto.randomUUID()}`;
        grants.set(code, { nonce: url.searchParams.get('nonce') });
        const back = new URL(url.searchParams.get('redirect_uri'));
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') + (current === 'state_mismatch' ? 'x' : ''));
        back.searchParams.set('iss', current === 'wrong_iss_parameter' ? 'https://evil.example.com' : issuer);
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      case '/token': {
        const params = await form(req);
        if (current === 'token_endpoint_error') return send(res, 400, { error: 'invalid_grant', error_description: marker });
        if (current === 'slow_token_endpoint') await new Promise((ok) => setTimeout(ok, 15000));
        const grant = grants.get(params.get('code'));
        if (!grant) return send(res, 400, { error: 'invalid_grant' });
        const accessToken = `bad-at-${marker}`;
        return send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, id_token: await idToken(grant, accessToken) });
      }
      case '/userinfo':
        return send(res, 200, {
          sub: current === 'userinfo_sub_mismatch' ? 'somebody-else' : `bad-sub-${marker}`,
          email: 'jane.doe@example.com', email_verified: true, name: 'Jane Doe',
        });
      default:
        return send(res, 404, { error: 'not_found' });
    }
  });
  return { issuer, server, setCase: (c) => { current = c; } };
}
