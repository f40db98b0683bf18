export * from './auth.ts';
export * from './friend.ts';
export * from './gateway.ts';
export * from './group.ts';
export * from './message.ts';
export * from './session.ts';
export * from './timeline.ts';
export * from './user.ts';
