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
//   - GET_RATE=N (bytes/s): every GET body is sent at most that fast, so
//     a test can stop a download at a chosen byte count.
//   - temporary credentials: S3_CREDS_FILE names a file of lines
//     "ACCESS_KEY_ID SECRET SESSION_TOKEN" (read at every request, so a
//     fake credential server can add to it while we run); a request
//     signed with such a key must carry x-amz-security-token equal to its
//     token (else 403 InvalidToken), and is checked with its secret.  An
//     unknown key other than S3RVER is 403 InvalidAccessKeyId.  With
//     S3_LOG_AUTH=1 every signed request also logs "AUTH KEY REGION".
//   - virtual-hosted requests: Host BUCKET.s3.localhost[:PORT] names the
//     bucket (s3rver's serviceEndpoint "localhost"; libcurl resolves
//     *.localhost to loopback itself), logged with " vhost=BUCKET";
//   - ListObjectsV2 continuation tokens that work under OpenSSL 3:
//     s3rver encrypts them with single DES, which OpenSSL 3 keeps only in
//     its legacy provider (every listing of more than one page answered
//     500); the same cipher is 3DES with its key three times over;
//   - Content-MD5 checked as S3 does (s3rver 3.7 ignores it): a PUT or
//     UploadPart whose body does not match answers 400 BadDigest and
//     stores nothing (a malformed value: 400 InvalidDigest);
//   - pre-signed URLs (SigV4 in the query string: X-Amz-Algorithm,
//     X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
//     X-Amz-Signature; payload UNSIGNED-PAYLOAD), checked likewise,
//     expiry included;
//   - a chunked PUT (no Content-Length) is refused 501 NotImplemented, as
//     S3 refuses one;
//   - a range ending at byte 0 ("bytes=0-0") sends that byte, not the rest
//     of the object (an s3rver bug).
//
// Every request is logged as "METHOD URL CONTENT-LENGTH", followed by a
// line "CONTENT-MD5" when it carries a Content-MD5 header; a BadDigest as
// "BADDIGEST PATH" (no query: tests count the lines naming partNumber=).
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
const { Readable, Transform } = require('stream');
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');

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

const getRate = parseInt(process.env.GET_RATE || '0', 10);

// a stream that lets bytes through at most rate bytes/s (16 KiB steps)
function throttle(rate) {
  const t0 = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk, encoding, done) {
      const step = () => {
        if (chunk.length === 0) return done();
        const piece = chunk.subarray(0, 16384);
        chunk = chunk.subarray(piece.length);
        const wait = Math.max(0, t0 + (sent * 1000) / rate - Date.now());
        setTimeout(() => {
          sent += piece.length;
          this.push(piece);
          step();
        }, wait);
      };
      step();
    },
  });
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

// the query's parameters, decoded: [[name, value], ...]
function queryPairs(rawQuery) {
  return rawQuery === '' ? [] : rawQuery.split('&').map(kv => {
    const i = kv.indexOf('=');
    return [decodeURIComponent(i < 0 ? kv : kv.slice(0, i)),
      i < 0 ? '' : decodeURIComponent(kv.slice(i + 1))];
  });
}

// "20250101T000000Z" -> milliseconds since the epoch
function amzTime(s) {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(s || '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

// null if the request is correctly signed (in its Authorization header,
// or pre-signed in its query), else why not (a string), or {code, why}
// when the credentials themselves are refused
function checkSigV4(req) {
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const query = queryPairs(rawQuery);
  const param = name => (query.find(([k]) => k === name) || [])[1];
  const presigned = param('X-Amz-Algorithm') !== undefined;
  let akid, token, date, region, signedHeaders, signature, payload, amzDate;
  if (presigned) {
    if (param('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return 'bad X-Amz-Algorithm';
    const c = /^([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request$/.exec(param('X-Amz-Credential') || '');
    if (!c) return 'bad X-Amz-Credential';
    [, akid, date, region] = c;
    token = param('X-Amz-Security-Token');
    signedHeaders = param('X-Amz-SignedHeaders') || '';
    signature = param('X-Amz-Signature') || '';
    amzDate = param('X-Amz-Date');
    payload = 'UNSIGNED-PAYLOAD';
    const expires = parseInt(param('X-Amz-Expires') || '', 10);
    if (!(expires > 0)) return 'bad X-Amz-Expires';
    if (!(Date.now() <= amzTime(amzDate) + expires * 1000)) return 'pre-signed URL expired';
    if (!signedHeaders.split(';').includes('host')) return 'header not signed: host';
  } else {
    const auth = req.headers.authorization || '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return 'no SigV4 Authorization header: ' + auth;
    [, akid, date, region, signedHeaders, signature] = m;
    token = req.headers['x-amz-security-token'];
    payload = req.headers['x-amz-content-sha256'];
    if (!payload) return 'missing x-amz-content-sha256';
    amzDate = req.headers['x-amz-date'];
    for (const must of ['host', 'x-amz-date', 'x-amz-content-sha256'])
      if (!signedHeaders.split(';').includes(must)) return 'header not signed: ' + must;
  }
  let secret = SECRET;
  if (akid !== 'S3RVER') {
    const t = tempCreds(akid);
    if (!t) return { code: 'InvalidAccessKeyId', why: 'unknown access key ' + akid };
    if (token !== t.token)
      return { code: 'InvalidToken', why: 'wrong or missing session token for ' + akid };
    if (!presigned && !signedHeaders.split(';').includes('x-amz-security-token'))
      return { code: 'InvalidToken', why: 'session token not signed' };
    secret = t.secret;
  }
  if (logAuth) console.log(`AUTH ${akid} ${region}`);
  if (!amzDate || !amzDate.startsWith(date)) return 'bad x-amz-date';
  const pairs = query.filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [enc(k), enc(v)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  const canonQuery = pairs.map(([k, v]) => k + '=' + v).join('&');
  const names = signedHeaders.split(';');
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
  const range = ctx.headers.range ? ' ' + ctx.headers.range : '';
  console.log(`${ctx.method} ${ctx.url} ${ctx.headers['content-length'] || '-'}${range}` +
    (vhost ? ` vhost=${vhost[1]}` : ''));
  const hold = holdRe();
  if (hold && hold.test(`${ctx.method} ${ctx.url}`)) {
    console.log(`HELD ${ctx.method} ${ctx.url}`);
    while (fs.existsSync(holdFile))
      await new Promise(resolve => setTimeout(resolve, 20));
    console.log(`RELEASED ${ctx.method} ${ctx.url}`);
  }
  if (ctx.headers['content-md5'] !== undefined) console.log('CONTENT-MD5');
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
  // S3 takes no chunked body without aws-chunked signing (curl sends one
  // for a stream of unknown length)
  if (ctx.method === 'PUT' && /chunked/i.test(ctx.headers['transfer-encoding'] || '') &&
      ctx.headers['content-length'] === undefined)
    return xmlError(ctx, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
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
  await next();
  if (getRate > 0 && ctx.method === 'GET' && ctx.body && typeof ctx.body.pipe === 'function') {
    const length = ctx.length; // Koa drops it when the body changes
    ctx.body = ctx.body.pipe(throttle(getRate));
    if (length !== undefined) ctx.length = length;
  }
});

// Content-MD5, as S3 checks it: the body is read whole (the tests' parts
// are small), compared, and only then handed to s3rver's store.
async function checkedBody(req) {
  const want = req.headers['content-md5'];
  if (want === undefined) return null;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(want))
    throw new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid.');
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  if (crypto.createHash('md5').update(body).digest('base64') !== want) {
    console.log('BADDIGEST ' + req.url.split('?')[0]);
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  return body;
}
const store = app.store;
// s3rver 3.7 reads "bytes=N-0" as "to the end" (its `options.end ||
// Infinity`); S3 sends the one byte asked for.  A truthy object whose value
// is 0 gets past the `||` and into its Math.min as 0.
const getObject = store.getObject.bind(store);
store.getObject = (b, k, options) => getObject(b, k,
  options && options.end === 0 ? { ...options, end: { valueOf: () => 0 } } : options);
const putPart = store.putPart.bind(store);
store.putPart = async (b, id, n, content) => {
  const body = await checkedBody(content);
  return putPart(b, id, n, body === null ? content : Readable.from([body]));
};
const putObject = store.putObject.bind(store);
store.putObject = async object => {
  const body = object.content && object.content.headers ? await checkedBody(object.content) : null;
  if (body !== null) object.content = body;
  return putObject(object);
};

app.run().then(addr => {
  fs.writeFileSync(portFile + '.tmp', String(addr.port));
  fs.renameSync(portFile + '.tmp', portFile);
  console.log('listening on 127.0.0.1:' + addr.port);
}, err => {
  console.error(err);
  process.exit(1);
});
