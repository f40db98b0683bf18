/**
 * The call screen's LiveKit logging (web/src/calls/sdk-logging.ts): the SDK's error lines for data
 * channels the server closed go to the debug level, and every other error line stays an error. The
 * module runs in the browser; its logic is loglevel's, which runs the same in Node.
 */
import { expect } from 'chai';
import { getLogger, LoggerNames } from 'livekit-client';
import { demoteRoomTeardownErrors } from '../../web/src/calls/sdk-logging.ts';

describe('call screen: LiveKit SDK teardown lines', () => {
  const logger = getLogger(LoggerNames.Engine, () => ({ room: 'call_1' }));
  const written: string[] = [];
  const original = { error: console.error, log: console.log, level: logger.getLevel() };

  before(() => {
    console.error = (message: unknown) => written.push(`error: ${String(message)}`);
    console.log = (message: unknown) => written.push(`debug: ${String(message)}`);
    demoteRoomTeardownErrors();
    logger.setLevel('debug'); // rebuilds the methods on the consoles above
  });

  after(() => {
    console.error = original.error;
    console.log = original.log;
    logger.setLevel(original.level as 0);
  });

  beforeEach(() => {
    written.length = 0;
  });

  it('logs the data channels the server aborted at debug level', () => {
    logger.error('DataChannel error on lossy: User-Initiated Abort, reason=', { sctpCauseCode: 12 });
    logger.error("publisher data channel 'DATA_TRACK_LOSSY' closed unexpectedly", {});
    expect(written).to.deep.equal([
      'debug: DataChannel error on lossy: User-Initiated Abort, reason=',
      "debug: publisher data channel 'DATA_TRACK_LOSSY' closed unexpectedly",
    ]);
  });

  it('keeps every other error an error, other data channel failures included', () => {
    logger.error('DataChannel error on reliable: Transport channel closed', {});
    logger.error('Unknown DataChannel error on lossy', {});
    logger.error('could not publish track', {});
    expect(written).to.deep.equal([
      'error: DataChannel error on reliable: Transport channel closed',
      'error: Unknown DataChannel error on lossy',
      'error: could not publish track',
    ]);
  });

  it('installs once: a second call does not wrap the methods twice', () => {
    demoteRoomTeardownErrors();
    logger.setLevel('debug');
    logger.error("publisher data channel 'RELIABLE' closed unexpectedly", {});
    expect(written).to.deep.equal(["debug: publisher data channel 'RELIABLE' closed unexpectedly"]);
  });
});
