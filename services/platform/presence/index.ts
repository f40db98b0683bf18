export * from './registry.ts';
export * from './router.ts';
