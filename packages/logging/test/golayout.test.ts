import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { compileGoLayout } from '../src/golayout.js';

/** 2024-03-05T14:07:09.120Z: a Tuesday, day 65 of a leap year. */
const when = new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 120));
const utc = (layout: string, time = when): string => compileGoLayout(layout, 'utc')(time);

void describe("Go layouts, checked against Go's time.Format output", () => {
  const cases: [name: string, layout: string, expected: string][] = [
    ["Fabric's default", '2006-01-02 15:04:05.000 MST', '2024-03-05 14:07:09.120 UTC'],
    ['RFC3339', '2006-01-02T15:04:05Z07:00', '2024-03-05T14:07:09Z'],
    ['RFC3339Nano', '2006-01-02T15:04:05.999999999Z07:00', '2024-03-05T14:07:09.12Z'],
    ['RFC1123', 'Mon, 02 Jan 2006 15:04:05 MST', 'Tue, 05 Mar 2024 14:07:09 UTC'],
    ['RFC1123Z', 'Mon, 02 Jan 2006 15:04:05 -0700', 'Tue, 05 Mar 2024 14:07:09 +0000'],
    ['RFC822Z', '02 Jan 06 15:04 -0700', '05 Mar 24 14:07 +0000'],
    ['RFC850', 'Monday, 02-Jan-06 15:04:05 MST', 'Tuesday, 05-Mar-24 14:07:09 UTC'],
    ['ANSIC', 'Mon Jan _2 15:04:05 2006', 'Tue Mar  5 14:07:09 2024'],
    ['UnixDate', 'Mon Jan _2 15:04:05 MST 2006', 'Tue Mar  5 14:07:09 UTC 2024'],
    ['Kitchen', '3:04PM', '2:07PM'],
    ['StampMicro', 'Jan _2 15:04:05.000000', 'Mar  5 14:07:09.120000'],
    ['DateTime', '2006-01-02 15:04:05', '2024-03-05 14:07:09'],
    ['long month, unpadded day', 'January 2, 2006', 'March 5, 2024'],
    ['two-digit year, numeric month', '06 1/2', '24 3/5'],
    ['day of year', '002|__2', '065| 65'],
    ['12-hour clock, lower-case pm', '03:04:05 pm', '02:07:09 pm'],
    ['unpadded minute and second', '4m5s', '7m9s'],
    ['comma fraction', '15:04:05,000', '14:07:09,120'],
    ['one fractional digit', '05.0', '09.1'],
    [
      'numeric zones',
      '-07|-07:00|-07:00:00|-070000|Z07|Z0700|Z07:00:00',
      '+00|+00:00|+00:00:00|+000000|Z|Z|Z',
    ],
    ['"Jan" before a lower-case letter is text', 'Janet 2006', 'Janet 2024'],
    ['"_2006" is an underscore and the year', 'x_2006', 'x_2024'],
    ['a run of 0s followed by a digit is no fraction (here "01" is the month)', '.0001', '.0003'],
  ];
  for (const [name, layout, expected] of cases) {
    void test(`${name}: ${layout}`, () => {
      assert.equal(utc(layout), expected);
    });
  }

  void test('.999 trims trailing zeros, and the separator when all are zero', () => {
    const whole = new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 0));
    const tenth = new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 100));
    assert.equal(utc('05.999', whole), '09');
    assert.equal(utc('05.999', tenth), '09.1');
    assert.equal(utc('05.000', whole), '09.000');
  });

  void test('midnight and noon on the 12-hour clock', () => {
    assert.equal(utc('3PM', new Date(Date.UTC(2024, 0, 1, 0, 0))), '12AM');
    assert.equal(utc('03pm', new Date(Date.UTC(2024, 0, 1, 12, 0))), '12pm');
    assert.equal(utc('15', new Date(Date.UTC(2024, 0, 1, 0, 0))), '00');
  });

  void test('the last day of a leap year is day 366', () => {
    assert.equal(utc('002 Monday', new Date(Date.UTC(2024, 11, 31, 23, 59))), '366 Tuesday');
  });
});
