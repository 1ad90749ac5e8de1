#!/usr/bin/env node
// tests/e2e/servers/s3.js - s3rver (from npm, installed in ./node_modules by
// scripts/test-servers) on 127.0.0.1, with what the tests need on top:
//
//   - a SigV4 check of every signed request (s3rver 3.7 accepts any v4
//     signature): canonical request rebuilt the way AWS does it (sorted,
//     re-encoded query; signed headers; x-amz-content-sha256 required),
//     secret "S3RVER"; a mismatch answers 403 SignatureDoesNotMatch, so a
//     request libcurl signed over a non-canonical query fails here as it
//     would on AWS;
//   - AbortMultipartUpload (DELETE ?uploadId=) and ListMultipartUploads
//     (GET /bucket?uploads), which s3rver lacks;
//   - fault injection: FAIL_PARTS=N answers the first N UploadPart
//     requests with 503 (Retry-After: 0); DELAY_PARTS_MS=N holds every
//     UploadPart N ms before answering (an upload that lasts at least
//     parts x N ms, for the credential refresh test);
//   - pause points: with HOLD_FILE=PATH, while PATH exists and holds a
//     regex, a request whose "METHOD URL" matches it waits until PATH is
//     removed (logged "HELD METHOD URL" when it starts waiting, "RELEASED
//     ..." after), so a test can kill the client at that exact point;
//   - temporary credentials: S3_CREDS_FILE names a file of lines
//     "ACCESS_KEY_ID SECRET SESSION_TOKEN" (read at every request, so a
//     fake credential server can add to it while we run); a request
//     signed with such a key must carry x-amz-security-token equal to its
//     token (else 403 InvalidToken), and is checked with its secret.  An
//     unknown key other than S3RVER is 403 InvalidAccessKeyId.  With
//     S3_LOG_AUTH=1 every signed request also logs "AUTH KEY REGION".
//   - virtual-hosted requests: Host BUCKET.s3.localhost[:PORT] names the
//     bucket (s3rver's serviceEndpoint "localhost"; libcurl resolves
//     *.localhost to loopback itself), logged with " vhost=BUCKET".
//   - ListObjectsV2 continuation tokens that work under OpenSSL 3:
//     s3rver encrypts them with single DES, which OpenSSL 3 keeps only in
//     its legacy provider (every listing of more than one page answered
//     500); the same cipher is 3DES with its key three times over.
//
// usage: node s3.js DATA_DIR BUCKET PORTFILE [PORT]
// Listens on 127.0.0.1:PORT (0 = any free port), writes the port to
// PORTFILE once listening, logs one line per request to stdout.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

// before s3rver is loaded: it calls crypto.createCipheriv('des', ...)
for (const name of ['createCipheriv', 'createDecipheriv']) {
  const orig = crypto[name];
  crypto[name] = (alg, key, iv, opts) => (alg === 'des'
    ? orig('des-ede3-cbc', Buffer.concat([key, key, key]), iv, opts)
    : orig(alg, key, iv, opts));
}
const S3rver = require('s3rver');

const [dir, bucket, portFile, portArg] = process.argv.slice(2);
if (!dir || !bucket || !portFile) {
  console.error('usage: s3.js DATA_DIR BUCKET PORTFILE [PORT]');
  process.exit(2);
}
const SECRET = 'S3RVER';
let failParts = parseInt(process.env.FAIL_PARTS || '0', 10);
const delayParts = parseInt(process.env.DELAY_PARTS_MS || '0', 10);
const credsFile = process.env.S3_CREDS_FILE || '';
const logAuth = process.env.S3_LOG_AUTH === '1';
const holdFile = process.env.HOLD_FILE || '';

// the pause point's regex while HOLD_FILE exists (its content), else null
function holdRe() {
  if (!holdFile) return null;
  try { return new RegExp(fs.readFileSync(holdFile, 'utf8').trim()); } catch (e) { return null; }
}

// {secret, token} of a temporary key, or null if unknown
function tempCreds(akid) {
  if (!credsFile || !fs.existsSync(credsFile)) return null;
  for (const line of fs.readFileSync(credsFile, 'utf8').split('\n')) {
    const [k, secret, token] = line.trim().split(/\s+/);
    if (k === akid && secret && token) return { secret, token };
  }
  return null;
}

function enc(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g,
    c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}
function hmac(key, data) {
  return crypto.createHmac('sha256', key).update(data).digest();
}
function sha256hex(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

// null if the request is correctly signed, else why not (a string), or
// {code, why} when the credentials themselves are refused
function checkSigV4(req) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'no SigV4 Authorization header: ' + auth;
  const [, akid, date, region, signedHeaders, signature] = m;
  let secret = SECRET;
  if (akid !== 'S3RVER') {
    const t = tempCreds(akid);
    if (!t) return { code: 'InvalidAccessKeyId', why: 'unknown access key ' + akid };
    if (req.headers['x-amz-security-token'] !== t.token)
      return { code: 'InvalidToken', why: 'wrong or missing session token for ' + akid };
    if (!signedHeaders.split(';').includes('x-amz-security-token'))
      return { code: 'InvalidToken', why: 'session token not signed' };
    secret = t.secret;
  }
  if (logAuth) console.log(`AUTH ${akid} ${region}`);
  const payload = req.headers['x-amz-content-sha256'];
  if (!payload) return 'missing x-amz-content-sha256';
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate || !amzDate.startsWith(date)) return 'bad x-amz-date';
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const pairs = rawQuery === '' ? [] : rawQuery.split('&').map(kv => {
    const i = kv.indexOf('=');
    const k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
    const v = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1));
    return [enc(k), enc(v)];
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  const canonQuery = pairs.map(([k, v]) => k + '=' + v).join('&');
  const names = signedHeaders.split(';');
  for (const must of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!names.includes(must)) return 'header not signed: ' + must;
  const canonHeaders = names.map(n => {
    const v = req.headers[n];
    if (v === undefined) return null;
    return n + ':' + String(v).trim().replace(/\s+/g, ' ') + '\n';
  });
  if (canonHeaders.includes(null)) return 'a signed header is missing';
  const canonical = [req.method, rawPath, canonQuery, canonHeaders.join(''),
    signedHeaders, payload].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonical)].join('\n');
  let k = hmac('AWS4' + secret, date);
  k = hmac(k, region);
  k = hmac(k, 's3');
  k = hmac(k, 'aws4_request');
  const want = hmac(k, toSign).toString('hex');
  if (want !== signature) return 'signature mismatch; canonical request:\n' + canonical;
  return null;
}

function xmlError(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

function uploadsDir(store) {
  return store.getResourcePath(bucket, undefined, 'uploads');
}

const app = new S3rver({
  address: '127.0.0.1',
  port: portArg ? parseInt(portArg, 10) : 0,
  directory: dir,
  silent: true,
  serviceEndpoint: 'localhost',
  configureBuckets: [{ name: bucket, configs: [] }],
});

// runs before s3rver's own middleware and routes
app.middleware.unshift(async (ctx, next) => {
  const q = ctx.query;
  const vhost = /^(.+)\.s3\.localhost$/.exec(ctx.hostname);
  console.log(`${ctx.method} ${ctx.url} ${ctx.headers['content-length'] || '-'}` +
    (vhost ? ` vhost=${vhost[1]}` : ''));
  const hold = holdRe();
  if (hold && hold.test(`${ctx.method} ${ctx.url}`)) {
    console.log(`HELD ${ctx.method} ${ctx.url}`);
    while (fs.existsSync(holdFile))
      await new Promise(resolve => setTimeout(resolve, 20));
    console.log(`RELEASED ${ctx.method} ${ctx.url}`);
  }
  if (ctx.method !== 'OPTIONS') {
    const why = checkSigV4(ctx.req);
    if (why && typeof why === 'object') {
      console.log(`CRED REJECTED: ${why.code}: ${why.why}`);
      return xmlError(ctx, 403, why.code, 'credentials refused');
    }
    if (why) {
      console.log('SIGV4 REJECTED: ' + why);
      return xmlError(ctx, 403, 'SignatureDoesNotMatch', 'signature check failed');
    }
    // a temporary key passed the checks above: s3rver itself knows only
    // S3RVER's account
    const auth = ctx.req.headers.authorization;
    if (auth) ctx.req.headers.authorization = auth.replace(/Credential=[^/]+\//, 'Credential=S3RVER/');
  }
  const segs = (vhost ? [vhost[1]] : []).concat(ctx.path.split('/').filter(Boolean));
  if (ctx.method === 'DELETE' && 'uploadId' in q && segs.length >= 2) {
    const d = path.join(uploadsDir(app.store), path.basename(String(q.uploadId)));
    if (!fs.existsSync(d)) return xmlError(ctx, 404, 'NoSuchUpload', 'no such upload');
    fs.rmSync(d, { recursive: true, force: true });
    console.log('ABORTED ' + q.uploadId);
    ctx.status = 204;
    return;
  }
  if (ctx.method === 'GET' && 'uploads' in q && segs.length === 1) {
    const d = uploadsDir(app.store);
    const ids = fs.existsSync(d) ? fs.readdirSync(d) : [];
    const items = ids.map(id => {
      let key = '';
      try { key = fs.readFileSync(path.join(d, id, 'key'), 'utf8'); } catch (e) { /* gone */ }
      return `<Upload><Key>${key}</Key><UploadId>${id}</UploadId></Upload>`;
    }).join('');
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${bucket}</Bucket>${items}</ListMultipartUploadsResult>`;
    return;
  }
  if (ctx.method === 'PUT' && 'partNumber' in q && delayParts > 0)
    await new Promise(resolve => setTimeout(resolve, delayParts));
  if (ctx.method === 'PUT' && 'partNumber' in q && failParts > 0) {
    failParts--;
    ctx.set('Retry-After', '0');
    return xmlError(ctx, 503, 'SlowDown', 'injected failure');
  }
  return next();
});

app.run().then(addr => {
  fs.writeFileSync(portFile + '.tmp', String(addr.port));
  fs.renameSync(portFile + '.tmp', portFile);
  console.log('listening on 127.0.0.1:' + addr.port);
}, err => {
  console.error(err);
  process.exit(1);
});
