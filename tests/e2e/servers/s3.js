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
//     requests with 503 (Retry-After: 0);
//   - GET_RATE=N (bytes/s): every GET body is sent at most that fast, so
//     a test can stop a download at a chosen byte count.
//
// usage: node s3.js DATA_DIR BUCKET PORTFILE [PORT]
// Listens on 127.0.0.1:PORT (0 = any free port), writes the port to
// PORTFILE once listening, logs one line per request to stdout.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Transform } = require('stream');
const S3rver = require('s3rver');

const [dir, bucket, portFile, portArg] = process.argv.slice(2);
if (!dir || !bucket || !portFile) {
  console.error('usage: s3.js DATA_DIR BUCKET PORTFILE [PORT]');
  process.exit(2);
}
const SECRET = 'S3RVER';
let failParts = parseInt(process.env.FAIL_PARTS || '0', 10);
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

// null if the request is correctly signed, else why not
function checkSigV4(req) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'no SigV4 Authorization header: ' + auth;
  const [, , date, region, signedHeaders, signature] = m;
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
  let k = hmac('AWS4' + SECRET, date);
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
  configureBuckets: [{ name: bucket, configs: [] }],
});

// runs before s3rver's own middleware and routes
app.middleware.unshift(async (ctx, next) => {
  const q = ctx.query;
  const range = ctx.headers.range ? ' ' + ctx.headers.range : '';
  console.log(`${ctx.method} ${ctx.url} ${ctx.headers['content-length'] || '-'}${range}`);
  if (ctx.method !== 'OPTIONS') {
    const why = checkSigV4(ctx.req);
    if (why) {
      console.log('SIGV4 REJECTED: ' + why);
      return xmlError(ctx, 403, 'SignatureDoesNotMatch', 'signature check failed');
    }
  }
  const segs = ctx.path.split('/').filter(Boolean);
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

app.run().then(addr => {
  fs.writeFileSync(portFile + '.tmp', String(addr.port));
  fs.renameSync(portFile + '.tmp', portFile);
  console.log('listening on 127.0.0.1:' + addr.port);
}, err => {
  console.error(err);
  process.exit(1);
});
