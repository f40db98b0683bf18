export * from './access-tokens.ts';
export * from './attempts.ts';
export * from './principal.ts';
export * from './rate-limit.ts';
export * from './second-factor.ts';
export * from './sign-in-throttle.ts';
export * from './window-limit.ts';
