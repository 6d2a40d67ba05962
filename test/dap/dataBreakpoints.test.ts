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

interface Run {
  hits: Hit[];
  id: number;
  info: DebugProtocol.DataBreakpointInfoResponse['body'];
  stdout: string;
}

/** Run databp.py for `kind`, set the data breakpoint at BP-READY, and collect every stop to the end. */
async function run(kind: string, condition?: string): Promise<Run> {
  const r = await runProgram('databp.py', [kind], (s, frameId) => rowFor(s, frameId, kind), { condition });
  assert.match(r.stdout, /done 0 /);
  return r;
}

/**
 * Run programs/`file` with `args`, stop at its BP-READY line, set one data breakpoint on the row
 * `row` finds (with `options`: condition, hitCondition), and collect every stop to the end.
 */
async function runProgram(
  file: string,
  args: string[],
  row: (s: Session, frameId: number) => Promise<[number, string]>,
  options: { condition?: string; hitCondition?: string } = {},
): Promise<Run> {
  const program = programPath(file);
  const s = await startSession();
  try {
    await launch(s, { program, args }, { [program]: [{ line: lineOf(file, 'BP-READY') }] });
    const first = await s.events.next('stopped');
    assert.equal(first.body.reason, 'breakpoint');
    const frame = await topFrame(s, first.body.threadId);
    const [variablesReference, name] = await row(s, frame.id);
    const info = (await s.dc.customRequest('dataBreakpointInfo', { variablesReference, name, frameId: frame.id }))
      .body as DebugProtocol.DataBreakpointInfoResponse['body'];
    assert.ok(info.dataId, `dataBreakpointInfo for ${file} ${args.join(' ')}: ${info.description}`);
    assert.deepEqual(info.accessTypes, ['write']);
    const set = (
      await s.dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId, accessType: 'write', ...options }] })
    ).body as DebugProtocol.SetDataBreakpointsResponse['body'];
    assert.equal(set.breakpoints.length, 1);
    assert.equal(set.breakpoints[0].verified, true, set.breakpoints[0].message);
    await s.dc.setBreakpointsRequest({ source: { path: program }, breakpoints: [] });
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
    return { hits, id: set.breakpoints[0].id!, info, stdout: s.events.output('stdout') };
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

/** The row of global `name`'s child `child` (an attribute, or a dict entry by its repr). */
function childOf(name: string, child: string): (s: Session, frameId: number) => Promise<[number, string]> {
  return async (s, frameId) => {
    const scopes = (await s.dc.scopesRequest({ frameId })).body.scopes;
    const globals = scopes.find((sc) => sc.name === 'Globals')!.variablesReference;
    const rows = (await s.dc.variablesRequest({ variablesReference: globals })).body.variables;
    const row = rows.find((v) => v.name === name);
    assert.ok(row, `no global ${name}`);
    return [row.variablesReference, child];
  };
}

// programs/databp_load.py: N writes per loop. Every write below goes through a watched store site,
// so each costs a callback; the tests assert what stops, `npm run bench -- --only databp` what it costs.
const N = 20000;

test('a watched field written in a hot loop while 3 other threads run the same store site: only the matching write stops', {
  skip: SKIP,
  timeout: 90_000,
}, async () => {
  const { hits, stdout } = await runProgram('databp_load.py', ['hot', String(N)], childOf('box', 'value'), {
    condition: 'new == 777',
  });
  assert.match(stdout, new RegExp(`done 0 ${N - 1} 0`));
  assert.deepEqual(
    hits.map((h) => [h.thread, h.line]),
    [['hot-0', lineOf('databp_load.py', 'WRITE-hot')]],
    JSON.stringify(hits),
  );
  assert.match(hits[0].description, /box\.value changed from 776 to 777/);
});

test('a hit count on a hot watched field: every change is counted, none lost, and only the counted ones stop', {
  skip: SKIP,
  timeout: 90_000,
}, async () => {
  const { hits } = await runProgram('databp_load.py', ['hot', String(N)], childOf('box', 'value'), {
    condition: 'thread == "hot-0"',
    hitCondition: '% 5000',
  });
  // The first change is 0 -> 1 (writing 0 over 0 is no change): change k writes k.
  assert.deepEqual(
    hits.map((h) => [
      h.thread,
      h.description
        .match(/from (\d+) to (\d+)/)
        ?.slice(1)
        .map(Number),
    ]),
    [5000, 10000, 15000].map((k) => ['hot-0', [k - 1, k]]),
    JSON.stringify(hits),
  );
});

for (const [mode, name, child] of [
  ['slot', 'slotted', 'value'],
  ['subdict', 'table', "'hits'"],
] as const) {
  test(`a data breakpoint on a ${mode === 'slot' ? '__slots__ attribute' : 'dict subclass entry'}: a delete and a re-set stop, ${N} plain writes do not`, {
    skip: SKIP,
    timeout: 90_000,
  }, async () => {
    const { hits, stdout } = await runProgram('databp_load.py', [mode, String(N)], childOf(name, child), {
      condition: `old == ${N - 1} or new == -1`,
    });
    const tag = mode === 'slot' ? 'slot' : 'sub';
    assert.deepEqual(
      hits.map((h) => [h.line, h.description.match(/changed from (.*) to (.*) \(written/)?.slice(1)]),
      [
        [lineOf('databp_load.py', `DEL-${tag}`), [String(N - 1), '<unset>']],
        [lineOf('databp_load.py', `SET-${tag}`), ['<unset>', '-1']],
      ],
      JSON.stringify(hits),
    );
    assert.match(stdout, / 0\n/, "the debugger never called the dict subclass's __missing__");
  });
}
