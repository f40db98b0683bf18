/** The services log as imctl and the operator do: one logger, secrets redacted (common/logger.ts). */
export { createLogger, type Logger } from '../../common/logger.ts';
