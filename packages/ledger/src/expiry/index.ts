export {
  BtlPolicy,
  expiringBlock,
  type BlockToLiveSource,
  type StateGetter,
} from './btl-policy.js';
export {
  openExpiryScheduleProvider,
  type ExpiringKey,
  type ExpirySchedule,
  type ExpiryScheduleProvider,
  type ScheduledExpiry,
} from './schedule.js';
export { PrivateStateExpiry } from './state-expiry.js';
