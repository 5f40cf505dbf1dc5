import Long from 'long';
import { google } from './generated/fabric.js';

const MS_PER_S = 1000;
const NS_PER_MS = 1_000_000;

/** A `google.protobuf.Timestamp` for a time in milliseconds since the epoch (negative allowed). */
export function timestampFromMillis(ms: number): google.protobuf.Timestamp {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite time: ${ms}`);
  const seconds = Math.floor(ms / MS_PER_S);
  const nanos = Math.round((ms - seconds * MS_PER_S) * NS_PER_MS);
  return google.protobuf.Timestamp.create({ seconds: Long.fromNumber(seconds), nanos });
}

/** A `google.protobuf.Timestamp` for a `Date`. */
export function timestampFromDate(date: Date): google.protobuf.Timestamp {
  return timestampFromMillis(date.getTime());
}

/** The current time as a `google.protobuf.Timestamp`. */
export function timestampNow(): google.protobuf.Timestamp {
  return timestampFromMillis(Date.now());
}

/** Milliseconds since the epoch of a timestamp; sub-millisecond nanos are dropped (floor). */
export function timestampToMillis(ts: google.protobuf.Timestamp.$Properties): number {
  const seconds = ts.seconds ?? 0;
  const s = typeof seconds === 'number' ? seconds : Long.fromValue(seconds).toNumber();
  return s * MS_PER_S + Math.floor((ts.nanos ?? 0) / NS_PER_MS);
}

/** The `Date` of a timestamp (millisecond precision). */
export function timestampToDate(ts: google.protobuf.Timestamp.$Properties): Date {
  return new Date(timestampToMillis(ts));
}
