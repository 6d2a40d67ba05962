// The race view without VS Code: the webview page's security policy, its built assets (no
// remote resources, theme colours only), the model of a report's two columns (excerpts, the
// racing frame, creation stacks), and the guards on the messages between page and host.
// (The view itself, opened from the quick fix in a real VS Code: test/e2e/vscodeRaceView.test.ts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../extension/webview/html';
import { isFromRaceView, isToRaceView } from '../../extension/raceView/messages';
import { frameTarget, raceViewModel, type SourceReader } from '../../extension/raceView/model';
import { parseRaceReport } from '../../extension/raceReport';

const dir = mkdtempSync(join(tmpdir(), 'ftpy-raceview-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the page: scripts only with its nonce, styles only from the extension, nothing remote', () => {
  const nonce = makeNonce();
  assert.ok(Buffer.from(nonce, 'base64').length >= 16, 'at least 128 bits');
  assert.notEqual(makeNonce(), nonce, 'a new nonce per page');
  const src = 'https://file+.vscode-resource.vscode-cdn.net';
  const html = webviewHtml({
    title: 'Race <on> "x"',
    cspSource: src,
    nonce,
    scripts: [`${src}/ext/dist/webview/raceView.js`],
    styles: [`${src}/ext/dist/webview/raceView.css`],
  });
  const csp = contentSecurityPolicy(src, nonce);
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${csp.replace(/'/g, '&#39;')}">`), html);
  const rules = Object.fromEntries(csp.split('; ').map((r) => [r.split(' ')[0], r.split(' ').slice(1)]));
  assert.deepEqual(rules['default-src'], ["'none'"]);
  assert.deepEqual(rules['script-src'], [`'nonce-${nonce}'`], 'no inline, eval or remote scripts');
  assert.deepEqual(rules['style-src'], [src], 'no inline or remote styles');
  assert.ok(!csp.includes('unsafe'), csp);
  assert.equal(html.match(/<script /g)?.length, 1);
  assert.ok(html.includes(`<script nonce="${nonce}" src="${src}/ext/dist/webview/raceView.js"></script>`));
  assert.ok(html.includes('<title>Race &#60;on&#62; &#34;x&#34;</title>'), 'the title is escaped');
  const urls = html.match(/https?:\/\/[^"'\s;]+/g) ?? [];
  assert.deepEqual(
    urls.filter((u) => !u.startsWith(src)),
    [],
    'the only origin is the extension’s own',
  );
});

test('the built page assets load nothing remote and take every colour from the theme', () => {
  const js = readFileSync('dist/webview/raceView.js', 'utf8');
  const css = readFileSync('dist/webview/raceView.css', 'utf8');
  for (const [name, text] of [
    ['raceView.js', js],
    ['raceView.css', css],
  ]) {
    assert.doesNotMatch(text, /https?:\/\//, `${name} names no remote resource`);
  }
  assert.doesNotMatch(js, /\.innerHTML\s*=|insertAdjacentHTML|document\.write/, 'report text never goes in as HTML');
  const body = css.replace(/\/\*[\s\S]*?\*\//g, '');
  assert.doesNotMatch(body, /#[0-9a-f]{3,8}\b|\brgba?\(|\bhsla?\(/i, 'no literal colours');
  for (const m of body.matchAll(/(?:^|[;{\s])(color|background|border(?:-left)?(?:-color)?|outline)\s*:\s*([^;}]+)/g)) {
    const value = m[2].trim();
    if (/^(none|transparent|0|unset|inherit)$/.test(value) || /^\d+px (solid|dashed) transparent$/.test(value)) continue;
    assert.match(value, /var\(--vscode-/, `${m[1]}: ${value} comes from a VS Code theme variable`);
  }
});

function writeLines(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

test('the model: two columns of frames with excerpts, the racing frame first, creation stacks', () => {
  const ledger = writeLines(
    'ledger.py',
    Array.from({ length: 30 }, (_, i) => `line ${i + 1}`),
  );
  const gone = join(dir, 'deleted.py');
  const report = parseRaceReport({
    kind: 'data-race',
    location: { object: 'Ledger', field: 'balance', address: '0x7f', description: "attribute 'balance' of Ledger object" },
    current: {
      access: 'read',
      thread: { id: 1, name: 'MainThread' },
      stack: [
        { function: 'audit', file: ledger, line: 20 },
        { function: 'main', file: ledger, line: 1 },
      ],
    },
    previous: {
      access: 'write',
      thread: { id: 2, name: 'poster' },
      stack: [
        { function: 'post', file: ledger, line: 30 },
        { function: 'run', file: gone, line: 5 },
        { function: 'far', file: ledger, line: 99 },
      ],
    },
    threads: [
      { id: 1, name: 'MainThread', createdAt: [] },
      { id: 2, name: 'poster', createdAt: [{ function: 'main', file: ledger, line: 26 }] },
    ],
  });
  const src: SourceReader = {
    lines: (f) => {
      try {
        return readFileSync(f, 'utf8').split('\n');
      } catch {
        return undefined;
      }
    },
    display: (f) => basename(f),
  };
  const m = raceViewModel(report, src);
  assert.equal(m.title, 'Race on Ledger.balance');
  assert.equal(m.description, "attribute 'balance' of Ledger object");
  assert.equal(m.address, '0x7f');
  assert.equal(
    m.summary,
    'Read by thread T1 (MainThread) at ledger.py:20 and a previous write by thread T2 (poster) at ledger.py:30, with nothing ordering them.',
  );

  assert.equal(m.current.heading, 'Current access');
  assert.equal(m.current.access, 'read');
  assert.equal(m.current.thread, 'T1 (MainThread)');
  const [audit, main] = m.current.frames;
  assert.equal(audit.role, 'racing');
  assert.equal(main.role, 'caller');
  assert.deepEqual(
    audit.excerpt?.map((l) => [l.line, l.text, l.here]),
    [
      [18, 'line 18', false],
      [19, 'line 19', false],
      [20, 'line 20', true],
      [21, 'line 21', false],
      [22, 'line 22', false],
    ],
  );
  assert.deepEqual(
    main.excerpt?.map((l) => l.line),
    [1, 2, 3],
    'clipped at the top of the file',
  );
  assert.deepEqual(m.current.creation, { note: 'The main thread.' });

  assert.equal(m.previous.heading, 'Previous access');
  const [post, run, far] = m.previous.frames;
  assert.equal(post.role, 'racing');
  assert.deepEqual(
    post.excerpt?.map((l) => l.line),
    [28, 29, 30, 31],
    'clipped at the end (the file ends with a newline: line 31 is empty)',
  );
  assert.equal(run.excerpt, undefined);
  assert.equal(run.missing, 'source not available');
  assert.equal(far.missing, 'the file has 31 lines now');
  assert.ok('frames' in m.previous.creation);
  const [created] = (m.previous.creation as { frames: { role: string; line: number; id: string }[] }).frames;
  assert.equal(created.role, 'creation');
  assert.equal(created.line, 26);

  // Frames are opened by id: every id is distinct and maps back to its frame; others map to nothing.
  const ids = [...m.current.frames, ...m.previous.frames, created].map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(frameTarget(m, post.id), { file: ledger, line: 30 });
  assert.deepEqual(frameTarget(m, created.id), { file: ledger, line: 26 });
  assert.equal(frameTarget(m, '../../etc/passwd'), undefined);
});

test('a thread missing from the report says so', () => {
  const f = writeLines('t.py', ['a = 1']);
  const m = raceViewModel(
    parseRaceReport({
      location: { object: 'C' },
      current: { access: 'write', thread: { id: 3, name: 'w' }, stack: [{ function: 'f', file: f, line: 1 }] },
      previous: { access: 'write', thread: { id: 4, name: 'v' }, stack: [{ function: 'g', file: f, line: 1 }] },
    }),
    { lines: () => ['a = 1'], display: (x) => x },
  );
  assert.deepEqual(m.current.creation, { note: 'Where it was created is not in the report.' });
  assert.equal(m.title, 'Race on C');
});

test('messages across the webview boundary are checked', () => {
  assert.ok(isFromRaceView({ type: 'openFrame', frameId: 'cs0' }));
  assert.ok(!isFromRaceView({ type: 'openFrame', frameId: 0 }));
  assert.ok(!isFromRaceView({ type: 'openFile', file: '/etc/passwd', line: 1 }), 'the page names frames, never paths');
  assert.ok(!isFromRaceView({ type: 'openFrame', frameId: 'x'.repeat(100) }));
  assert.ok(!isFromRaceView(null));
  assert.ok(!isFromRaceView('openFrame'));
  assert.ok(isToRaceView({ type: 'race', race: { current: {}, previous: {} } }));
  assert.ok(!isToRaceView({ type: 'race' }));
});
