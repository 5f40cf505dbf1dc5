/** Text rendering of `fabric-peer plugins`. */
import type { ContributionInfo, ExtensionPointReport } from '@fabric-peer/core';

function origin(c: ContributionInfo): string {
  return `${c.packageName} ${c.version}${c.builtIn ? '' : `  (${c.location})`}`;
}

function table(rows: string[][], indent: string): string {
  const widths = rows.reduce<number[]>(
    (w, r) => r.map((cell, i) => Math.max(w[i] ?? 0, cell.length)),
    [],
  );
  return rows
    .map(
      (r) =>
        indent +
        r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '),
    )
    .join('\n');
}

export function renderPlugins(report: readonly ExtensionPointReport[]): string {
  const out: string[] = [];
  for (const p of report) {
    out.push(`${p.title}${p.configKey ? ` (${p.configKey})` : ''}`);
    if (p.selected.length > 0) {
      out.push('  selected:');
      out.push(
        table(
          p.selected.map((s) => [
            s.key,
            s.name,
            s.provider ? origin(s.provider) : 'not provided by any loaded plugin',
          ]),
          '    ',
        ),
      );
    }
    if (p.available.length > 0) {
      out.push('  available:');
      out.push(
        table(
          p.available.map((c) => [c.name, origin(c)]),
          '    ',
        ),
      );
    } else {
      out.push('  available: none');
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

/** Selected names no loaded plugin provides, as notes for `config check`. */
export function unprovidedSelections(report: readonly ExtensionPointReport[]): string[] {
  return report.flatMap((p) =>
    p.selected
      .filter((s) => !s.provider)
      .map(
        (s) =>
          `${s.key} selects the ${p.title} "${s.name}", which no loaded plugin provides (a service that asks for it fails to start)`,
      ),
  );
}
