// Plain HTTP requests for tests, straight to 127.0.0.1 (never through a
// proxy), with the path sent exactly as given: no normalisation of "..".
// HTTPS when the server on that port was started over TLS (server.mjs).
import http from 'node:http';
import https from 'node:https';

import { isTlsPort, tlsClientOptions } from './server.mjs';

// Resolves { status, headers, body (string), raw (Buffer) }.  tls: force
// HTTPS (true) or plain HTTP (false) whatever the port serves.
export function httpGet(port, path, { method = 'GET', headers = {}, timeoutMs = 5000, tls = isTlsPort(port) } = {}) {
  return new Promise((resolve, reject) => {
    const req = (tls ? https : http).request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        headers,
        agent: false,
        timeout: timeoutMs,
        ...(tls ? tlsClientOptions(port) : {}),
      },
      (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ status: res.statusCode, headers: res.headers, body: raw.toString(), raw });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
