/** The standalone debug adapter: DAP over stdin/stdout (`node dist/debugAdapter.js`). */
import { FtpySession } from './ftpySession';

FtpySession.run(FtpySession);
