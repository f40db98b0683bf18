export * from './flows.ts';
export * from './oidc-sign-in.ts';
export * from './providers.ts';
