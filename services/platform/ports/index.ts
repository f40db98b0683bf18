export * from './internal-service.ts';
export * from './invoke.ts';
export * from './pubsub.ts';
export * from './state.ts';
