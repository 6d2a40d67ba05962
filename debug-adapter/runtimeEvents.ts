/**
 * Runtime events as DAP events. The runtime already speaks in DAP's terms (its `stopped` body is
 * a DAP stopped body), so this is mostly a rename; what it adds is DAP's framing and the
 * promise that every stop stopped every thread.
 */
import { BreakpointEvent, Event, OutputEvent, StoppedEvent, ThreadEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { RuntimeEvent } from './protocol';

/** The DAP event a runtime event becomes, or undefined for those the client never sees. */
export function dapEvent(e: RuntimeEvent): DebugProtocol.Event | undefined {
  const body = e.body ?? {};
  switch (e.event) {
    case 'stopped': {
      const ev = new StoppedEvent(String(body.reason ?? 'pause'), Number(body.threadId ?? 1)) as DebugProtocol.StoppedEvent;
      Object.assign(ev.body, body, { allThreadsStopped: true });
      return ev;
    }
    case 'continued':
      return new Event('continued', body);
    case 'output': {
      const ev = new OutputEvent(String(body.output ?? ''), String(body.category ?? 'console')) as DebugProtocol.OutputEvent;
      if (body.source) ev.body.source = body.source as DebugProtocol.Source;
      if (typeof body.line === 'number') ev.body.line = body.line;
      return ev;
    }
    case 'breakpoint':
      return new BreakpointEvent(String(body.reason ?? 'changed'), body.breakpoint as DebugProtocol.Breakpoint);
    case 'thread':
      return new ThreadEvent(String(body.reason ?? 'started'), Number(body.threadId ?? 0));
    case 'race':
      return new Event('ftpython.race', body);
    case 'gil':
      return new Event('ftpython.gil', body);
    case 'deadlock':
      return new Event('ftpython.deadlock', body);
    case 'exited': // the Debuggee keeps the status for its `end`, which becomes DAP's exited + terminated
    case 'process': // the initialize response carries the same facts; the session sends DAP's process event from it
      return undefined;
    default: {
      const unmapped: never = e.event; // a new runtime event must be given its DAP form here
      return unmapped;
    }
  }
}
