/** A progress bar on stderr, only when stderr is a terminal; plain text under NO_COLOR. */
export class Progress {
  private readonly enabled: boolean;
  private readonly color: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.enabled = Boolean(stream.isTTY);
    this.color = this.enabled && env.NO_COLOR === undefined;
    this.stream = stream;
  }

  private readonly stream: NodeJS.WriteStream;

  update(done: number): void {
    if (!this.enabled) return;
    const width = 30;
    const filled = this.total === 0 ? width : Math.round((done / this.total) * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const text = `${this.label} [${this.color ? `\x1b[32m${bar}\x1b[0m` : bar}] ${done}/${this.total}`;
    this.stream.write(`\r${text}`);
  }

  finish(): void {
    if (this.enabled) this.stream.write("\n");
  }
}
