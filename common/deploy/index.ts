export * from './dapr-resources.ts';
export * from './jetstream.ts';
export * from './self-hosted.ts';
