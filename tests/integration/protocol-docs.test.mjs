// docs/protocol.md, schema/protocol.schema.json and the server agree:
// every error code the server can send is in the schema and the docs,
// every operation of the schema is documented and known to the server,
// and the examples of the docs are valid messages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { repoRoot, startServer } from '../lib/server.mjs';
import { checkRequest, checkServerMessage, connect, defValidator, schema } from '../lib/client.mjs';
import { stopOk } from '../lib/util.mjs';

const docs = fs.readFileSync(path.join(repoRoot, 'docs', 'protocol.md'), 'utf8');
const schemaCodes = new Set(schema.$defs.errorCode.enum);
const schemaOps = schema.$defs.request.properties.op.enum;

// The text of the docs' section whose "## " heading matches re.
function section(re) {
  const parts = docs.split(/^## /m);
  const found = parts.find((p) => re.test(p.split('\n')[0]));
  assert.ok(found, `docs/protocol.md has a section ${re}`);
  return found;
}

// Codes the server can put in error.code, read from its sources: the
// envelope's (proto.h) and those of ruche_err_code() (err.c).
function serverCodes() {
  const codes = new Set();
  const proto = fs.readFileSync(path.join(repoRoot, 'include', 'ruche', 'proto.h'), 'utf8');
  for (const m of proto.matchAll(/#define\s+PROTO_E_\w+\s+"(\w+)"/g)) codes.add(m[1]);
  const err = fs.readFileSync(path.join(repoRoot, 'server', 'err.c'), 'utf8');
  for (const m of err.matchAll(/\{\s*RUCHE_\w+\s*,\s*"(\w+)"/g)) if (m[1] !== 'ok') codes.add(m[1]);
  return codes;
}

describe('error codes', () => {
  test('the server sources and the schema list the same codes', () => {
    const fromServer = serverCodes();
    assert.ok(fromServer.has('bad_json') && fromServer.has('not_found'), 'sources were read');
    for (const code of fromServer) {
      assert.ok(schemaCodes.has(code), `"${code}" (server) is missing from $defs/errorCode`);
    }
  });

  test('the docs table lists exactly the codes of the schema', () => {
    const table = section(/^3\. Errors/);
    const documented = new Set([...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]));
    assert.deepEqual([...documented].sort(), [...schemaCodes].sort());
  });
});

describe('operations', () => {
  test('each operation has a request schema, a reply schema and a section', () => {
    const ops = section(/^4\. Operations/);
    for (const op of schemaOps) {
      assert.ok(defValidator(`${op}.request`), `$defs/${op}.request`);
      assert.ok(defValidator(`${op}.reply`), `$defs/${op}.reply`);
      assert.ok(ops.includes(`### \`${op}\``), `docs section for ${op}`);
      assert.equal(schema.$defs[`${op}.request`].properties.op.const, op);
    }
    for (const name of Object.keys(schema.$defs)) {
      const m = name.match(/^(.+)\.(request|reply)$/);
      if (m) assert.ok(schemaOps.includes(m[1]), `${name} belongs to an op of $defs/request`);
    }
  });

  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await stopOk(server);
  });

  test('the server knows every operation of the schema', async () => {
    const c = await connect(server.wsUrl);
    for (const op of schemaOps) {
      const reply = await c.request(op, {}, { check: false });
      assert.ok(reply.ok || reply.error.code !== 'unknown_op', `${op} is unknown to the server`);
    }
    await c.close();
    c.assertClean();
  });
});

describe('examples in the docs', () => {
  test('every JSON message shown is valid', () => {
    const blocks = [...docs.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
    let checked = 0;
    for (const block of blocks) {
      for (let line of block.split('\n')) {
        line = line.replace(/^[→←]\s*/, '').trim();
        if (!line.startsWith('{')) continue;
        const msg = JSON.parse(line);
        if ('re' in msg || 'ev' in msg) {
          assert.equal(checkServerMessage(msg), null, `server message in the docs: ${line}`);
        } else if ('op' in msg && schemaOps.includes(msg.op)) {
          const why = checkRequest(msg);
          // Examples of refused requests are allowed: they must be shown
          // with their error reply, and be refused by the schema too.
          if (why) assert.match(block, /"ok": false/, `invalid request shown without its error: ${line}`);
        } else {
          continue;
        }
        checked++;
      }
    }
    assert.ok(checked >= 8, `checked ${checked} examples`);
  });

  test('the documented success replies match their operation\'s schema', () => {
    for (const block of [...docs.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1])) {
      const lines = block.split('\n').map((l) => l.trim());
      for (let i = 0; i + 1 < lines.length; i++) {
        if (!lines[i].startsWith('→') || !lines[i + 1].startsWith('←')) continue;
        const req = JSON.parse(lines[i].slice(1));
        const rep = JSON.parse(lines[i + 1].slice(1));
        assert.deepEqual(rep.re, req.id, `reply answers the request: ${lines[i]}`);
        if (rep.ok) {
          const v = defValidator(`${req.op}.reply`);
          assert.ok(v(rep.data), `${req.op} example reply: ${JSON.stringify(v.errors)}`);
        }
      }
    }
  });
});
