/**
 * The standalone debug adapter: DAP over stdin/stdout (`node dist/debugAdapter.js`).
 *
 * The session is served through our own framing (dapFraming.ts) rather than the base class's:
 * linear in the size of a message, and a malformed message is answered (an error response when
 * it names a request, else an `output` event) instead of ending the process.
 */
import { PassThrough } from 'node:stream';
import { OutputEvent, Response } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapFramer, type Malformed, requestOf } from './dapFraming';
import { FtpySession } from './ftpySession';

class StandaloneSession extends FtpySession {
  override start(inStream: NodeJS.ReadableStream, outStream: NodeJS.WritableStream): void {
    // The base class reads only this stream, which never carries data: it ends when stdin does.
    const idle = new PassThrough();
    super.start(idle, outStream);
    const framer = new DapFramer({
      message: (msg) => {
        try {
          this.handleMessage(msg as unknown as DebugProtocol.ProtocolMessage);
        } catch (err) {
          // The base class's dispatch (its logging included) threw: say so, and read on.
          this.answerMalformed({ reason: `it could not be handled (${(err as Error).message})`, request: requestOf(msg) });
        }
      },
      malformed: (m) => this.answerMalformed(m),
    });
    inStream.on('data', (data: Buffer | string) => framer.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data));
    const ended = (): void => {
      framer.close();
      idle.destroy();
    };
    inStream.on('end', ended);
    inStream.on('close', ended);
    inStream.on('error', ended);
    inStream.resume();
  }

  private answerMalformed(m: Malformed): void {
    if (m.request) {
      const response = new Response({ seq: m.request.seq, command: m.request.command, type: 'request' });
      this.sendErrorResponse(response, { id: 1003, format: `Malformed request: ${m.reason}.`, showUser: false });
    } else {
      this.sendEvent(new OutputEvent(`ftpy: ignored a malformed DAP message: ${m.reason}.\n`, 'console'));
    }
  }
}

const session = new StandaloneSession();
process.on('SIGTERM', () => session.shutdown());
session.start(process.stdin, process.stdout);
