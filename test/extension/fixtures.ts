// A race report as the runtime writes it (docs/architecture.md, "Race report JSON"), shared by the extension tests.

export const sample = {
  kind: 'data-race',
  location: { object: 'Counter', field: 'value', address: '0x7f00aa' },
  current: {
    access: 'write',
    thread: { id: 2, name: 'worker-1' },
    stack: [
      { function: 'bump', file: '/work/x/racy.py', line: 12 },
      { function: 'run', file: '/work/x/racy.py', line: 20 },
    ],
  },
  previous: { access: 'read', thread: { id: 1, name: 'MainThread' }, stack: [{ function: 'main', file: '/work/x/racy.py', line: 30 }] },
  threads: [
    { id: 1, name: 'MainThread', createdAt: [] },
    { id: 2, name: 'worker-1', createdAt: [{ function: 'main', file: '/work/x/racy.py', line: 25 }] },
  ],
};
