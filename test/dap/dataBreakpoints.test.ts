/**
 * Data breakpoints ("Break on Value Change"): an attribute, a dict entry, a list slot, a module
 * global and a closure cell, each set from its Variables-pane row, with and without the thread
 * filter. programs/databp.py writes the watched place 3 times from the main thread (its owner)
 * and twice from 'writer', and writes its neighbours every time: exactly one stop per change
 * that matches, none otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SKIP, launch, lineOf, programPath, type Session, startSession, stop, topFrame } from './helpers';

const PROGRAM = programPath('databp.py');

/** The Variables-pane row that names the watched place of `kind`: [its parent's reference, its name]. */
async function rowFor(s: Session, frameId: number, kind: string): Promise<[number, string]> {
  const scopes = (await s.dc.scopesRequest({ frameId })).body.scopes;
  const ref = (name: string) => scopes.find((sc) => sc.name === name)!.variablesReference;
  const vars = async (r: number) => (await s.dc.variablesRequest({ variablesReference: r })).body.variables;
  const child = async (r: number, name: string): Promise<DebugProtocol.Variable> => {
    const v = (await vars(r)).find((x) => x.name === name);
    assert.ok(v, `no row ${name}`);
    return v;
  };
  const globals = ref('Globals');
  switch (kind) {
    case 'attribute':
      return [(await child(globals, 'box')).variablesReference, 'value'];
    case 'dict':
      return [(await child(globals, 'table')).variablesReference, "'hits'"];
    case 'list':
      return [(await child(globals, 'slots')).variablesReference, '1'];
    case 'global':
      return [globals, 'counter'];
    default:
      return [ref('Locals'), 'n'];
  }
}

interface Hit {
  thread: string;
  line: number;
  description: string;
  ids: number[];
}

/** Run databp.py for `kind`, set the data breakpoint at BP-READY, and collect every stop to the end. */
async function run(
  kind: string,
  condition?: string,
): Promise<{ hits: Hit[]; id: number; info: DebugProtocol.DataBreakpointInfoResponse['body'] }> {
  const s = await startSession();
  try {
    await launch(s, { program: PROGRAM, args: [kind] }, { [PROGRAM]: [{ line: lineOf('databp.py', 'BP-READY') }] });
    const first = await s.events.next('stopped');
    assert.equal(first.body.reason, 'breakpoint');
    const frame = await topFrame(s, first.body.threadId);
    const [variablesReference, name] = await rowFor(s, frame.id, kind);
    const info = (await s.dc.customRequest('dataBreakpointInfo', { variablesReference, name, frameId: frame.id }))
      .body as DebugProtocol.DataBreakpointInfoResponse['body'];
    assert.ok(info.dataId, `dataBreakpointInfo for ${kind}: ${info.description}`);
    assert.deepEqual(info.accessTypes, ['write']);
    const set = (await s.dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId, accessType: 'write', condition }] }))
      .body as DebugProtocol.SetDataBreakpointsResponse['body'];
    assert.equal(set.breakpoints.length, 1);
    assert.equal(set.breakpoints[0].verified, true, set.breakpoints[0].message);
    await s.dc.setBreakpointsRequest({ source: { path: PROGRAM }, breakpoints: [] });
    const hits: Hit[] = [];
    const terminated = s.events.next('terminated', 55_000).then(() => 'terminated' as const);
    await s.dc.continueRequest({ threadId: first.body.threadId });
    for (;;) {
      const next = await Promise.race([s.events.next('stopped', 55_000), terminated]);
      if (next === 'terminated') break;
      assert.equal(next.body.reason, 'data breakpoint');
      assert.equal(next.body.allThreadsStopped, true);
      const threads = (await s.dc.threadsRequest()).body.threads;
      const thread = threads.find((t) => t.id === next.body.threadId)!.name;
      const top = await topFrame(s, next.body.threadId);
      hits.push({ thread, line: top.line, description: next.body.description, ids: next.body.hitBreakpointIds });
      await s.dc.continueRequest({ threadId: next.body.threadId });
    }
    assert.match(s.events.output('stdout'), /done 0 /);
    return { hits, id: set.breakpoints[0].id!, info };
  } finally {
    await stop(s);
  }
}

const WRITES: Record<string, string> = {
  attribute: 'WRITE-attribute',
  dict: 'WRITE-dict',
  list: 'WRITE-list',
  global: 'WRITE-global',
  cell: 'WRITE-cell',
};

for (const kind of Object.keys(WRITES)) {
  test(`a data breakpoint on a ${kind}: one stop per change, on the writing thread, old and new values told`, {
    skip: SKIP,
    timeout: 90_000,
  }, async () => {
    const { hits, id, info } = await run(kind);
    assert.match(info.description, /owned by thread 'MainThread'/);
    assert.deepEqual(
      hits.map((h) => h.thread),
      ['MainThread', 'MainThread', 'MainThread', 'writer', 'writer'],
      JSON.stringify(hits),
    );
    const line = lineOf('databp.py', WRITES[kind]);
    for (const h of hits) {
      assert.equal(h.line, line, `stopped on the line that wrote: ${JSON.stringify(h)}`);
      assert.deepEqual(h.ids, [id]);
    }
    const values = [0, 1000, 2000, 3000, 1007, 2007];
    for (let i = 0; i < hits.length; i++) {
      assert.match(hits[i].description, new RegExp(`changed from ${values[i]} to ${values[i + 1]}`), hits[i].description);
      assert.match(hits[i].description, new RegExp(`thread '${hits[i].thread}'`));
    }
  });

  test(`a data breakpoint on a ${kind} with 'thread != owner' stops only on the other thread's writes`, {
    skip: SKIP,
    timeout: 90_000,
  }, async () => {
    const { hits } = await run(kind, 'thread != owner');
    assert.deepEqual(
      hits.map((h) => [h.thread, h.description.match(/to (\d+)/)?.[1]]),
      [
        ['writer', '1007'],
        ['writer', '2007'],
      ],
    );
  });
}

test("a data breakpoint for one named thread (thread == 'writer' and a condition on the new value)", {
  skip: SKIP,
  timeout: 90_000,
}, async () => {
  const named = await run('attribute', 'thread == "writer" and new > 2000');
  assert.deepEqual(
    named.hits.map((h) => h.thread),
    ['writer'],
  );
});
