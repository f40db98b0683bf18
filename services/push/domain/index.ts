export { ConversationState } from './conversation-state.ts';
export { Dispatcher, type JobResult, type PushJob } from './dispatcher.ts';
export { PushPlanner } from './planner.ts';
export { DEFAULT_PREFERENCES, inDoNotDisturb, Preferences, type PushPreferences } from './preferences.ts';
export { type RegistrationChange, Registrations } from './registrations.ts';
export { PushRetention } from './retention.ts';
export { RingWithdrawal } from './ring-withdrawal.ts';
export { PushStatistics } from './statistics.ts';
