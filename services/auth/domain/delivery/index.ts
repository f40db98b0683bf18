export * from './delivery.ts';
export * from './mailer.ts';
export * from './sms.ts';
export * from './templates.ts';
