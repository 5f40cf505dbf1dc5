/**
 * The small part of Go's `fmt` verbs that Fabric's format directives use: `%{level:.4s}`,
 * `%{module:-20s}`, `%{id:03x}`. A directive is a Go verb without its leading `%`.
 */

interface Directive {
  readonly minus: boolean;
  readonly plus: boolean;
  readonly space: boolean;
  readonly sharp: boolean;
  readonly zero: boolean;
  readonly width: number | undefined;
  readonly precision: number | undefined;
  readonly verb: string;
}

const DIRECTIVE = /^([-+# 0]*)([0-9]*)(?:\.([0-9]*))?([a-zA-Z])$/;

function parseDirective(directive: string, fail: (problem: string) => never): Directive {
  const match = DIRECTIVE.exec(directive);
  if (match === null) {
    return fail(`${JSON.stringify(directive)} is not a Go format verb (e.g. s, -10s, .4s, 03x)`);
  }
  const [, flags = '', width = '', precision, verb = ''] = match;
  return {
    minus: flags.includes('-'),
    plus: flags.includes('+'),
    space: flags.includes(' '),
    sharp: flags.includes('#'),
    zero: flags.includes('0'),
    width: width === '' ? undefined : Number(width),
    precision: precision === undefined ? undefined : precision === '' ? 0 : Number(precision),
    verb,
  };
}

function pad(text: string, d: Directive, zeroAfter = 0): string {
  const length = [...text].length;
  if (d.width === undefined || length >= d.width) return text;
  const fill = d.width - length;
  if (d.minus) return text + ' '.repeat(fill);
  if (d.zero) return text.slice(0, zeroAfter) + '0'.repeat(fill) + text.slice(zeroAfter);
  return ' '.repeat(fill) + text;
}

/**
 * Compiles a directive for a string value (`s`, `v`, `q`, `x`, `X`, with flags, width and
 * precision). Calls `fail` with a reason if the directive cannot format a string.
 */
export function compileStringDirective(
  directive: string,
  fail: (problem: string) => never,
): (value: string) => string {
  const d = parseDirective(directive, fail);
  let render: (value: string) => string;
  switch (d.verb) {
    case 's':
    case 'v':
      render = (value) => value;
      break;
    case 'q':
      render = (value) => JSON.stringify(value);
      break;
    case 'x':
    case 'X': {
      const upper = d.verb === 'X';
      render = (value) => {
        const hex = Buffer.from(value, 'utf8').toString('hex');
        return upper ? hex.toUpperCase() : hex;
      };
      break;
    }
    default:
      return fail(`verb %${d.verb} cannot format text (use s, v, q, x or X)`);
  }
  const precision = d.precision;
  const truncate =
    precision === undefined
      ? (value: string) => value
      : (value: string) => [...value].slice(0, precision).join('');
  return (value) => pad(render(truncate(value)), d);
}

/**
 * Compiles a directive for a non-negative integer (`d`, `v`, `x`, `X`, `o`, `O`, `b`, with flags,
 * width and precision). Calls `fail` with a reason if the directive cannot format an integer.
 */
export function compileIntegerDirective(
  directive: string,
  fail: (problem: string) => never,
): (value: number) => string {
  const d = parseDirective(directive, fail);
  let radix: number;
  let prefix = '';
  switch (d.verb) {
    case 'd':
    case 'v':
      radix = 10;
      break;
    case 'x':
    case 'X':
      radix = 16;
      if (d.sharp) prefix = d.verb === 'x' ? '0x' : '0X';
      break;
    case 'o':
      radix = 8;
      if (d.sharp) prefix = '0';
      break;
    case 'O':
      radix = 8;
      prefix = '0o';
      break;
    case 'b':
      radix = 2;
      break;
    default:
      return fail(`verb %${d.verb} cannot format a number (use d, x, X, o, O or b)`);
  }
  const upper = d.verb === 'X';
  const sign = d.plus ? '+' : d.space ? ' ' : '';
  // Go ignores the 0 flag for integers when a precision is given.
  const effective: Directive = d.precision !== undefined ? { ...d, zero: false } : d;
  return (value) => {
    let digits = Math.trunc(Math.abs(value)).toString(radix);
    if (upper) digits = digits.toUpperCase();
    if (d.precision !== undefined && digits.length < d.precision) {
      digits = '0'.repeat(d.precision - digits.length) + digits;
    }
    const head = (value < 0 ? '-' : sign) + prefix;
    return pad(head + digits, effective, head.length);
  };
}
