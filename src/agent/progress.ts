import { basename } from 'node:path';

/** A progress bar on stderr: redrawn in place on a terminal, a line every 10% otherwise. */
export class Progress {
  readonly #total: number;
  readonly #label: string;
  readonly #tty = process.stderr.isTTY === true;
  #done = 0;
  #lastDecile = -1;
  readonly #start = Date.now();

  constructor(total: number, label: string) {
    this.#total = total;
    this.#label = label;
  }

  tick(item: string): void {
    this.#done++;
    if (this.#total <= 1) return;
    const frac = this.#done / this.#total;
    if (this.#tty) {
      const width = 30;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      process.stderr.write(`\r${this.#label} [${bar}] ${this.#done}/${this.#total} ${basename(item).slice(0, 30).padEnd(30)}`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.#lastDecile) {
        this.#lastDecile = decile;
        process.stderr.write(`${this.#label}: ${this.#done}/${this.#total} (${Math.round(frac * 100)}%)\n`);
      }
    }
  }

  done(): void {
    if (this.#tty && this.#total > 1) process.stderr.write(`\r${' '.repeat(80)}\r`);
    if (this.#total > 1) process.stderr.write(`${this.#label}: ${this.#done} files in ${((Date.now() - this.#start) / 1000).toFixed(1)} s\n`);
  }
}
