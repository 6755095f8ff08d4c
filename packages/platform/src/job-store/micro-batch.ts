/**
 * Coalesces calls made in the same turn of the event loop into one call with all their inputs, the
 * way DataLoader batches reads: with many jobs in flight per process, their row transitions become
 * one SQL statement per turn instead of one per job. Each caller still gets its own result or the
 * batch's error.
 */
export class MicroBatch<I, O> {
  private pending: { input: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];

  /**
   * @param run gets the inputs in call order and returns one output per input, in the same order.
   * @param maxSize a batch this large runs at once instead of waiting for the end of the turn. @defaultValue 200
   */
  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly maxSize = 200,
  ) {}

  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
      else if (this.pending.length >= this.maxSize) this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.run(batch.map((entry) => entry.input)).then(
      (outputs) =>
        batch.forEach((entry, i) => {
          const output = outputs[i];
          if (output === undefined)
            entry.reject(new Error(`MicroBatch: the batch returned ${outputs.length} results for ${batch.length} inputs.`));
          else entry.resolve(output);
        }),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
  }
}
