// docs/protocol.md, schema/protocol.schema.json and the server agree:
// every error code the server can send is in the schema and the docs,
// every operation of the schema is documented and known to the server,
// its parameters are those of the table in server/dispatch.c (names,
// types, required, limits), every event the server sends has a schema,
// every event and HTTP API body of the schema is documented, and the
// examples of the docs are valid messages.
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

// The operations of server/dispatch.c's table and their parameters:
// op -> [{ name, type, required, min, max }].
function dispatchTable() {
  let src = fs.readFileSync(path.join(repoRoot, 'server', 'dispatch.c'), 'utf8');
  src = src.replace(/\/\*[\s\S]*?\*\//g, '');
  const macros = new Map();
  for (const m of src.matchAll(/^#define\s+(\w+)\s+(.+)$/gm)) macros.set(m[1], m[2].trim());
  const expand = (text) => {
    for (let i = 0; i < 5; i++) {
      for (const [k, v] of macros) text = text.replace(new RegExp(`\\b${k}\\b`, 'g'), v);
    }
    return text;
  };
  const num = (expr) => {
    const e = expr.replace(/(\d+)[uU]?[lL]{0,2}/g, '$1').trim();
    assert.match(e, /^[\d\s()*+<-]+$/, `a constant expression: ${expr}`);
    return Function(`return (${e.replace(/(\d+)\s*<<\s*(\d+)/g, '($1 * 2 ** $2)')});`)();
  };
  const specs = new Map();
  for (const m of src.matchAll(/static const struct param_spec (\w+)\[\] = \{([\s\S]*?)\};/g)) {
    const body = expand(m[2]);
    const list = [];
    for (const e of body.matchAll(/\{\s*"(\w+)",\s*(PARAM_\w+),\s*(true|false)(?:,\s*([^,}]+),\s*([^}]+))?\s*\}/g)) {
      list.push({ name: e[1], type: e[2], required: e[3] === 'true', min: num(e[4] ?? '0'), max: num(e[5] ?? '0') });
    }
    specs.set(m[1], list);
  }
  const table = new Map();
  const ops = src.match(/const struct op_def dispatch_ops\[\] = \{([\s\S]*?)\n\};/);
  assert.ok(ops, 'the dispatch_ops table');
  for (const m of ops[1].matchAll(/\{\s*"([\w.]+)",\s*\w+,\s*(\w+),\s*OP_\w+\s*\}/g)) {
    assert.ok(specs.has(m[2]), `${m[1]}: its parameters ${m[2]}`);
    table.set(m[1], specs.get(m[2]));
  }
  return table;
}

// The names of the events the server sends, read from its sources: the
// string constants given to emit(), server_emit_text(), emit_ephemeral() and proto_event()
// (before the event's data), e.g. emit(srv, ..., "msg.created", json_pack(...)).
function serverEvents() {
  const names = new Set();
  const dir = path.join(repoRoot, 'server');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.c'))) {
    const src = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const m of src.matchAll(/\b(?:emit|server_emit_text|emit_ephemeral|proto_event)\(/g)) {
      const call = src.slice(m.index + m[0].length).split(/json_pack\(|;/)[0];
      for (const lit of call.matchAll(/"([^"\\]*)"/g)) names.add(lit[1]);
    }
  }
  return names;
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
      if (name.startsWith('api.')) continue; // the HTTP API's bodies
      const m = name.match(/^(.+)\.(request|reply)$/);
      if (m) assert.ok(schemaOps.includes(m[1]), `${name} belongs to an op of $defs/request`);
    }
  });

  test('each operation\'s parameters are those of the table in server/dispatch.c', () => {
    const table = dispatchTable();
    assert.ok(table.has('hello') && table.has('hive.create'), 'dispatch.c was read');
    for (const op of schemaOps) {
      assert.ok(table.has(op), `${op} is in the dispatch table`);
      const req = schema.$defs[`${op}.request`];
      const props = Object.keys(req.properties).filter((k) => k !== 'id' && k !== 'op');
      const params = table.get(op);
      assert.deepEqual(props.sort(), params.map((p) => p.name).sort(), `${op}: the same parameters`);
      for (const p of params) {
        const where = `${op}.${p.name}`;
        let ps = req.properties[p.name];
        if (ps.$ref) ps = { ...schema.$defs[ps.$ref.replace('#/$defs/', '')], ...ps };
        assert.equal(req.required.includes(p.name), p.required, `${where}: required`);
        if (p.type === 'PARAM_STRING') {
          assert.equal(ps.type, 'string', where);
          if (ps.enum) {
            for (const v of ps.enum) assert.ok([...v].length >= p.min && [...v].length <= p.max, `${where}: ${v}`);
          } else {
            assert.equal(ps.minLength ?? 0, p.min, `${where}: minLength`);
            assert.equal(ps.maxLength, p.max, `${where}: maxLength`);
          }
        } else if (p.type === 'PARAM_INT') {
          assert.equal(ps.type, 'integer', where);
          assert.equal(ps.minimum, p.min, `${where}: minimum`);
          assert.equal(ps.maximum, p.max, `${where}: maximum`);
        } else if (p.type === 'PARAM_BOOL') {
          assert.equal(ps.type, 'boolean', where);
        } else if (p.type === 'PARAM_ARRAY') {
          assert.equal(ps.type, 'array', where);
          assert.equal(ps.minItems ?? 0, p.min, `${where}: minItems`);
          assert.equal(ps.maxItems, p.max, `${where}: maxItems`);
        } else {
          assert.fail(`${where}: ${p.type} is not checked here yet`);
        }
      }
    }
  });

  test('every operation of server/dispatch.c is in the schema', () => {
    const ops = [...dispatchTable().keys()];
    assert.ok(ops.includes('sync') && ops.includes('presence.set'), 'dispatch.c was read');
    const missing = ops.filter((op) => !schemaOps.includes(op));
    assert.deepEqual(missing, [], 'operations of server/dispatch.c missing from $defs/request (and so from the docs)');
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

describe('events and the HTTP API', () => {
  test('each event of the schema has a section in "5. Events"', () => {
    const events = section(/^5\. Events/);
    const names = Object.keys(schema.$defs).filter((n) => n.endsWith('.event'));
    assert.ok(names.length >= 1);
    for (const n of names) {
      const ev = n.replace(/\.event$/, '');
      assert.ok(events.includes(`### \`${ev}\``), `docs section for the event ${ev}`);
    }
  });

  test('every event the server sends has a schema', () => {
    const sent = serverEvents();
    assert.ok(sent.has('hive.removed') && sent.has('msg.created') && sent.has('presence'), 'sources were read');
    for (const ev of sent) assert.ok(defValidator(`${ev}.event`), `$defs/${ev}.event for the event "${ev}" (server)`);
  });

  test('the JSON bodies shown for the HTTP API match one of its schemas', () => {
    const httpDocs = section(/^6\. HTTP/).split('### The HTTP API')[1];
    assert.ok(httpDocs, 'a subsection "The HTTP API"');
    const apiDefs = Object.keys(schema.$defs).filter((x) => x.startsWith('api.'));
    let checked = 0;
    for (const block of [...httpDocs.matchAll(/```(?:json|http)\n([\s\S]*?)```/g)].map((m) => m[1])) {
      for (const line of block.split('\n')) {
        if (!line.startsWith('{')) continue;
        const body = JSON.parse(line);
        const fits = apiDefs.filter((n) => defValidator(n)(body));
        assert.ok(fits.length, `an HTTP API body in the docs matches no api.* schema: ${line}`);
        checked++;
      }
    }
    assert.ok(checked >= 5, `checked ${checked} bodies`);
  });

  test('each HTTP API body of the schema is named in "6. HTTP endpoints"', () => {
    const httpDocs = section(/^6\. HTTP/);
    for (const n of Object.keys(schema.$defs).filter((x) => x.startsWith('api.'))) {
      assert.ok(httpDocs.includes(`\`$defs/${n}\``), `docs name $defs/${n}`);
    }
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
          const ev = 'ev' in msg && defValidator(`${msg.ev}.event`);
          if (ev) assert.ok(ev(msg.data), `event ${msg.ev} in the docs: ${JSON.stringify(ev.errors)}`);
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
