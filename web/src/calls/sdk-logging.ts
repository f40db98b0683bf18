/**
 * LiveKit's web SDK logs a room's data channels closing at error level when the server ends the
 * session before the SDK has read the server's leave: a call the other side hung up (the server
 * deletes its room), a meeting the host ended, a participant the host removed. The server aborts the
 * SCTP association ("User-Initiated Abort" from its side) and the SDK, not closed yet, calls that
 * unexpected (upstream: livekit/agents#6250, livekit/client-sdk-js#1953). For this app that is the
 * ordinary end of a room, told to the person by the Disconnected event, so those lines go to the
 * debug level; every other SDK line keeps its level.
 */
import { getLogger, LoggerNames } from 'livekit-client';

const roomTeardown = [
  /^DataChannel error on \w+: User-Initiated Abort/,
  /^publisher data channel '\w+' closed unexpectedly$/,
];

let installed = false;

export function demoteRoomTeardownErrors(): void {
  if (installed) return;
  installed = true;
  // A loglevel plugin (the SDK's loggers are loglevel loggers): wrap the method factory, then set
  // the level again so the logger rebuilds its methods through it.
  const logger = getLogger(LoggerNames.Engine);
  const factory = logger.methodFactory;
  logger.methodFactory = (methodName, level, name) => {
    const write = factory(methodName, level, name);
    if (methodName !== 'error') return write;
    const debug = factory('debug', level, name);
    return (message: unknown, ...rest: unknown[]) => {
      if (typeof message === 'string' && roomTeardown.some((line) => line.test(message)))
        debug(message, ...rest);
      else write(message, ...rest);
    };
  };
  logger.setLevel(logger.getLevel());
}
