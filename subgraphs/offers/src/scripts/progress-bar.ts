/**
 * A one-line progress bar on a terminal (redrawn in place), or a line per 10 % when the output is
 * a file or a pipe (CI logs stay readable).
 */
export interface ProgressBar {
  update(done: number, total: number): void;
  done(): void;
}

export function progressBar(stream: NodeJS.WriteStream, label: string, width = 30): ProgressBar {
  const started = Date.now();
  let lastDecile = -1;
  let drawn = false;
  return {
    update(done, total) {
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const percent = Math.floor(fraction * 100);
      const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
      const text = `${label} ${percent}% ${done}/${total} (${rate}/s)`;
      if (stream.isTTY) {
        const filled = Math.round(fraction * width);
        stream.write(`\r${"█".repeat(filled)}${"░".repeat(width - filled)} ${text}`);
        drawn = true;
        return;
      }
      const decile = Math.floor(percent / 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${text}\n`);
    },
    done() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}
