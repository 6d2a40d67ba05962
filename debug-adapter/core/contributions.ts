/**
 * What package.json and the README say about launch configurations, made from the declaration
 * in launchAttributes.ts. `node scripts/generate-contributions.mjs` writes them into those files;
 * `test/unit/launchAttributes.test.ts` fails when the files say something else.
 */
import { ATTACH_ATTRIBUTES, type Attribute, LAUNCH_ATTRIBUTES } from './launchAttributes';

/** The debug type the extension contributes. */
export const DEBUG_TYPE = 'ftpython';

/** The configurations a new launch.json starts with (package.json's initialConfigurations, and F5's dynamic ones). */
export const INITIAL_CONFIGURATIONS: ReadonlyArray<Readonly<Record<string, unknown>>> = [
  { type: DEBUG_TYPE, request: 'launch', name: 'Free-Threaded Python: Current File', program: '${file}', console: 'internalConsole' },
  { type: DEBUG_TYPE, request: 'launch', name: 'Free-Threaded Python: Find Races', program: '${file}', races: true },
];

/** One attribute's JSON schema, for VS Code's launch.json validation and completion. */
function schemaOf(a: Attribute): Record<string, unknown> {
  const s: Record<string, unknown> = {};
  switch (a.type) {
    case 'boolean':
    case 'string':
      s.type = a.type;
      break;
    case 'enum':
      s.type = 'string';
      s.enum = [...(a.values ?? [])];
      break;
    case 'string[]':
      s.type = 'array';
      s.items = { type: 'string' };
      break;
    case 'env':
      s.type = 'object';
      s.additionalProperties = { type: ['string', 'null'] };
      break;
    case 'count':
      s.type = 'integer';
      s.minimum = 1;
      break;
    case 'address':
      s.type = 'object';
      s.properties = { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'integer', minimum: 1, maximum: 65535 } };
      s.required = ['port'];
      break;
  }
  s.description = a.description;
  const proposed = a.suggest ?? a.default;
  if (proposed !== undefined) s.default = proposed;
  return s;
}

const properties = (attributes: Readonly<Record<string, Attribute>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(attributes).map(([name, a]) => [name, schemaOf(a)]));

/** package.json's `contributes.debuggers[0].configurationAttributes`. */
export function configurationAttributes(): Record<string, unknown> {
  return { launch: { properties: properties(LAUNCH_ATTRIBUTES) }, attach: { properties: properties(ATTACH_ATTRIBUTES) } };
}

/** The README table's "value" column. */
function valueWords(a: Attribute): string {
  switch (a.type) {
    case 'boolean':
      return '`true` \\| `false`';
    case 'string':
      return 'string';
    case 'enum':
      return (a.values ?? []).map((v) => `\`${v}\``).join(' \\| ');
    case 'string[]':
      return 'list of strings';
    case 'env':
      return 'object';
    case 'count':
      return 'number';
    case 'address':
      return '`{host, port}`';
  }
}

function defaultWords(a: Attribute): string {
  if (a.docDefault) return a.docDefault;
  if (a.default === undefined) return '—';
  return `\`${JSON.stringify(a.default)}\``;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's attribute table (Markdown), launch attributes first, then those only attach has. */
export function attributeTable(): string {
  const rows = ['| attribute | request | value | default | meaning |', '| --- | --- | --- | --- | --- |'];
  const attach = ATTACH_ATTRIBUTES as Readonly<Record<string, Attribute>>;
  for (const [name, a] of Object.entries(LAUNCH_ATTRIBUTES as Readonly<Record<string, Attribute>>)) {
    const requests = attach[name] === a ? 'launch, attach' : 'launch';
    rows.push(`| \`${name}\` | ${requests} | ${valueWords(a)} | ${defaultWords(a)} | ${cell(a.description)} |`);
  }
  for (const [name, a] of Object.entries(attach)) {
    if (name in LAUNCH_ATTRIBUTES) continue;
    rows.push(`| \`${name}\` | attach | ${valueWords(a)} | ${defaultWords(a)} | ${cell(a.description)} |`);
  }
  return rows.join('\n');
}

/** The README markers the table sits between. */
export const TABLE_BEGIN =
  '<!-- launch-attributes: generated from debug-adapter/core/launchAttributes.ts by scripts/generate-contributions.mjs -->';
export const TABLE_END = '<!-- /launch-attributes -->';

/** `value` as package.json writes it: one attribute per line, each on one line. */
export function compactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compactJson).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${compactJson(v)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

/** The `configurationAttributes` value as package.json's text, indented to sit at `indent` spaces. */
export function configurationAttributesText(indent: number): string {
  const pad = (n: number): string => ' '.repeat(indent + n);
  const section = (request: string, props: Record<string, unknown>, last: boolean): string[] => {
    const names = Object.keys(props);
    return [
      `${pad(2)}${JSON.stringify(request)}: {`,
      `${pad(4)}"properties": {`,
      ...names.map((n, i) => `${pad(6)}${JSON.stringify(n)}: ${compactJson(props[n])}${i < names.length - 1 ? ',' : ''}`),
      `${pad(4)}}`,
      `${pad(2)}}${last ? '' : ','}`,
    ];
  };
  const attrs = configurationAttributes() as Record<string, { properties: Record<string, unknown> }>;
  return [
    '{',
    ...section('launch', attrs.launch.properties, false),
    ...section('attach', attrs.attach.properties, true),
    `${pad(0)}}`,
  ].join('\n');
}

/** The `initialConfigurations` value as package.json's text. */
export function initialConfigurationsText(indent: number): string {
  const pad = ' '.repeat(indent + 2);
  return ['[', INITIAL_CONFIGURATIONS.map((c) => `${pad}${compactJson(c)}`).join(',\n'), `${' '.repeat(indent)}]`].join('\n');
}
