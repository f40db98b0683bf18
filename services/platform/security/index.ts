export * from './access-tokens.ts';
export * from './rate-limit.ts';
