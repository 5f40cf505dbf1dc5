/**
 * Go's reference-time layouts (`2006-01-02 15:04:05.000 MST`) for `%{time:<layout>}`. A layout is
 * compiled once into literal text and the elements below; this follows Go's `time.Format` rules for
 * which character runs are elements, including its quirks (`_2006` is a literal `_` then the year;
 * `Jan` followed by a lower-case letter is literal text).
 *
 * Elements: `2006` `06` (year); `January` `Jan` `1` `01` (month); `Monday` `Mon` (weekday); `2` `_2`
 * `02` (day); `__2` `002` (day of year); `15` `3` `03` (hour); `4` `04` (minute); `5` `05` (second);
 * `PM` `pm`; `.000` `,000` `.999` `,999` (fractions of a second, any number of digits); `MST` (zone
 * abbreviation); `Z07:00` `Z0700` `Z07` `Z07:00:00` `Z070000` `-07:00` `-0700` `-07` `-07:00:00`
 * `-070000` (zone offset; the `Z` forms print `Z` for UTC).
 */

/** Whether times print in the process's local time zone (as Go's `time.Now()` does) or in UTC. */
export type TimeZoneMode = 'local' | 'utc';

/** The calendar fields of one instant in one zone. */
interface Moment {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly weekday: number; // 0 = Sunday
  readonly yearDay: number; // 1-366
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  readonly offsetSeconds: number; // east of UTC
  readonly zone: () => string;
}

type Element = (m: Moment) => string;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const zeroPad = (n: number, width: number): string => String(n).padStart(width, '0');
const spacePad = (n: number, width: number): string => String(n).padStart(width, ' ');
const hour12 = (h: number): number => (h % 12 === 0 ? 12 : h % 12);

function offset(
  style: 'iso' | 'num',
  withColon: boolean,
  withMinutes: boolean,
  withSeconds: boolean,
): Element {
  return (m) => {
    if (style === 'iso' && m.offsetSeconds === 0) return 'Z';
    const total = Math.abs(m.offsetSeconds);
    const sep = withColon ? ':' : '';
    let out = (m.offsetSeconds < 0 ? '-' : '+') + zeroPad(Math.floor(total / 3600), 2);
    if (withMinutes) out += sep + zeroPad(Math.floor(total / 60) % 60, 2);
    if (withSeconds) out += sep + zeroPad(total % 60, 2);
    return out;
  };
}

function fraction(separator: string, digits: number, trim: boolean): Element {
  return (m) => {
    // Dates hold milliseconds; finer digits are zeros.
    let text = zeroPad(m.millisecond, 3).padEnd(digits, '0').slice(0, digits);
    if (trim) {
      text = text.replace(/0+$/, '');
      if (text === '') return '';
    }
    return separator + text;
  };
}

const isDigit = (s: string, i: number): boolean => i < s.length && s[i]! >= '0' && s[i]! <= '9';
const startsWithLower = (s: string, i: number): boolean =>
  i < s.length && s[i]! >= 'a' && s[i]! <= 'z';

/** Finds the first element at or after `i`: its start, its length and its renderer. */
function nextElement(
  layout: string,
  from: number,
): { start: number; length: number; render: Element } | undefined {
  const at = (i: number, text: string): boolean => layout.startsWith(text, i);
  for (let i = from; i < layout.length; i++) {
    const found = (length: number, render: Element) => ({ start: i, length, render });
    switch (layout[i]) {
      case 'J':
        if (at(i, 'January')) return found(7, (m) => MONTHS[m.month - 1]!);
        if (at(i, 'Jan') && !startsWithLower(layout, i + 3)) {
          return found(3, (m) => MONTHS[m.month - 1]!.slice(0, 3));
        }
        break;
      case 'M':
        if (at(i, 'Monday')) return found(6, (m) => DAYS[m.weekday]!);
        if (at(i, 'Mon') && !startsWithLower(layout, i + 3)) {
          return found(3, (m) => DAYS[m.weekday]!.slice(0, 3));
        }
        if (at(i, 'MST')) return found(3, (m) => m.zone());
        break;
      case '0':
        if (at(i, '01')) return found(2, (m) => zeroPad(m.month, 2));
        if (at(i, '02')) return found(2, (m) => zeroPad(m.day, 2));
        if (at(i, '03')) return found(2, (m) => zeroPad(hour12(m.hour), 2));
        if (at(i, '04')) return found(2, (m) => zeroPad(m.minute, 2));
        if (at(i, '05')) return found(2, (m) => zeroPad(m.second, 2));
        if (at(i, '06')) return found(2, (m) => zeroPad(m.year % 100, 2));
        if (at(i, '002')) return found(3, (m) => zeroPad(m.yearDay, 3));
        break;
      case '1':
        if (at(i, '15')) return found(2, (m) => zeroPad(m.hour, 2));
        return found(1, (m) => String(m.month));
      case '2':
        if (at(i, '2006')) return found(4, (m) => zeroPad(m.year, 4));
        return found(1, (m) => String(m.day));
      case '_':
        if (at(i, '_2')) {
          // "_2006" is a literal underscore followed by the year.
          if (at(i + 1, '2006'))
            return { start: i + 1, length: 4, render: (m) => zeroPad(m.year, 4) };
          return found(2, (m) => spacePad(m.day, 2));
        }
        if (at(i, '__2')) return found(3, (m) => spacePad(m.yearDay, 3));
        break;
      case '3':
        return found(1, (m) => String(hour12(m.hour)));
      case '4':
        return found(1, (m) => String(m.minute));
      case '5':
        return found(1, (m) => String(m.second));
      case 'P':
        if (at(i, 'PM')) return found(2, (m) => (m.hour >= 12 ? 'PM' : 'AM'));
        break;
      case 'p':
        if (at(i, 'pm')) return found(2, (m) => (m.hour >= 12 ? 'pm' : 'am'));
        break;
      case '-':
        if (at(i, '-070000')) return found(7, offset('num', false, true, true));
        if (at(i, '-07:00:00')) return found(9, offset('num', true, true, true));
        if (at(i, '-0700')) return found(5, offset('num', false, true, false));
        if (at(i, '-07:00')) return found(6, offset('num', true, true, false));
        if (at(i, '-07')) return found(3, offset('num', false, false, false));
        break;
      case 'Z':
        if (at(i, 'Z070000')) return found(7, offset('iso', false, true, true));
        if (at(i, 'Z07:00:00')) return found(9, offset('iso', true, true, true));
        if (at(i, 'Z0700')) return found(5, offset('iso', false, true, false));
        if (at(i, 'Z07:00')) return found(6, offset('iso', true, true, false));
        if (at(i, 'Z07')) return found(3, offset('iso', false, false, false));
        break;
      case '.':
      case ',': {
        const digit = layout[i + 1];
        if (digit === '0' || digit === '9') {
          let j = i + 1;
          while (layout[j] === digit) j++;
          // Only a fraction if the run of 0s or 9s is not followed by another digit.
          if (!isDigit(layout, j)) {
            return found(j - i, fraction(layout[i]!, j - i - 1, digit === '9'));
          }
        }
        break;
      }
    }
  }
  return undefined;
}

/** A compiled layout: renders an instant as text. */
export type TimeRenderer = (time: Date) => string;

/**
 * Compiles a Go layout. In `local` mode the zone abbreviation (`MST`) comes from the platform's
 * `Intl` data in English; where it only knows an offset (`GMT+1`), Go's numeric form is printed
 * (`+01`, `+0530`), as Go does for zones without an abbreviation.
 */
export function compileGoLayout(layout: string, mode: TimeZoneMode): TimeRenderer {
  const parts: (string | Element)[] = [];
  let cursor = 0;
  for (;;) {
    const element = nextElement(layout, cursor);
    if (element === undefined) break;
    if (element.start > cursor) parts.push(layout.slice(cursor, element.start));
    parts.push(element.render);
    cursor = element.start + element.length;
  }
  if (cursor < layout.length) parts.push(layout.slice(cursor));

  const zoneName = mode === 'utc' ? () => 'UTC' : localZoneNamer();
  return (time) => {
    const m = mode === 'utc' ? utcMoment(time) : localMoment(time, zoneName);
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : part(m);
    return out;
  };
}

function dayOfYear(year: number, month: number, day: number): number {
  return (Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / 86_400_000 + 1;
}

function utcMoment(t: Date): Moment {
  const year = t.getUTCFullYear();
  const month = t.getUTCMonth() + 1;
  const day = t.getUTCDate();
  return {
    year,
    month,
    day,
    weekday: t.getUTCDay(),
    yearDay: dayOfYear(year, month, day),
    hour: t.getUTCHours(),
    minute: t.getUTCMinutes(),
    second: t.getUTCSeconds(),
    millisecond: t.getUTCMilliseconds(),
    offsetSeconds: 0,
    zone: () => 'UTC',
  };
}

function localMoment(t: Date, zoneName: (t: Date, offsetSeconds: number) => string): Moment {
  const year = t.getFullYear();
  const month = t.getMonth() + 1;
  const day = t.getDate();
  const offsetSeconds = -t.getTimezoneOffset() * 60;
  return {
    year,
    month,
    day,
    weekday: t.getDay(),
    yearDay: dayOfYear(year, month, day),
    hour: t.getHours(),
    minute: t.getMinutes(),
    second: t.getSeconds(),
    millisecond: t.getMilliseconds(),
    offsetSeconds,
    zone: () => zoneName(t, offsetSeconds),
  };
}

/** Names the local zone at an instant, caching one name per offset (Intl is slow). */
function localZoneNamer(): (t: Date, offsetSeconds: number) => string {
  let formatter: Intl.DateTimeFormat | undefined;
  const cache = new Map<number, string>();
  return (t, offsetSeconds) => {
    const cached = cache.get(offsetSeconds);
    if (cached !== undefined) return cached;
    formatter ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
    const name = formatter.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? '';
    const result = /^(GMT|UTC)[+-]/.test(name) || name === '' ? numericZone(offsetSeconds) : name;
    cache.set(offsetSeconds, result);
    return result;
  };
}

/** Go's name for a zone without an abbreviation: `+01`, `-03`, `+0530`. */
function numericZone(offsetSeconds: number): string {
  const total = Math.abs(offsetSeconds);
  const hours = zeroPad(Math.floor(total / 3600), 2);
  const minutes = Math.floor(total / 60) % 60;
  return (offsetSeconds < 0 ? '-' : '+') + hours + (minutes === 0 ? '' : zeroPad(minutes, 2));
}
