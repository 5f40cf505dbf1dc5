import type { Readable } from 'node:stream';

/** Longest line kept; a chaincode writing without newlines cannot grow the peer's memory. */
const MAX_LINE = 16 * 1024;

/**
 * Splits a stream into lines and hands each to the current sink (which can change: a pre-warmed
 * process logs as the runtime's until it becomes a chaincode).
 */
export class LineSplitter {
  private rest = '';
  sink: (line: string) => void;

  constructor(stream: Readable, sink: (line: string) => void) {
    this.sink = sink;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.push(chunk));
    stream.on('end', () => this.flush());
  }

  private push(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    if (this.rest.length > MAX_LINE) {
      lines.push(`${this.rest.slice(0, MAX_LINE)} [...]`);
      this.rest = '';
    }
    for (const line of lines) this.emit(line);
  }

  private flush(): void {
    if (this.rest !== '') this.emit(this.rest);
    this.rest = '';
  }

  private emit(line: string): void {
    const trimmed = line.replace(/\r$/, '');
    if (trimmed.trim() !== '')
      this.sink(trimmed.length > MAX_LINE ? `${trimmed.slice(0, MAX_LINE)} [...]` : trimmed);
  }
}
