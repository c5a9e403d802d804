/**
 * Standard output and standard error as the command line writes them. Node writes to a pipe
 * asynchronously: a process that exits with writes pending cuts its report at the pipe's buffer (64 KiB)
 * when the reader is slower than the writer, and exits 0 with a broken document. So every write is
 * tracked, the command waits until all of them have been handed to the system, and a write that failed
 * (the reader is gone: EPIPE) is reported and turns the exit code non-zero instead of going unnoticed.
 */
export interface Streams {
  /** Writes to standard output (the report). */
  out(text: string): void;
  /** Writes one line to standard error (summaries, errors, set-up chatter). */
  err(line: string): void;
  /**
   * Waits until everything written has drained. Resolves to `code`, or to `failedCode` when standard
   * output could not take the whole report; then says so on standard error (if it still can).
   */
  drained(code: number, failedCode: number): Promise<number>;
}

export function processStreams(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Streams {
  const pending: Promise<void>[] = [];
  let outFailure: Error | undefined;
  // A stream whose write failed also emits 'error'; unheard, it would end the process with a stack trace.
  stdout.on('error', (error: Error) => {
    outFailure ??= error;
  });
  stderr.on('error', () => undefined);
  const write = (stream: NodeJS.WriteStream, text: string) =>
    new Promise<void>((resolve, reject) => {
      if (stream.destroyed) reject(new Error('the stream is closed'));
      else stream.write(text, (error) => (error ? reject(error) : resolve()));
    });
  return {
    out(text) {
      if (text === '') return;
      pending.push(write(stdout, text).catch((error: Error) => void (outFailure ??= error)));
    },
    err(line) {
      pending.push(write(stderr, `${line}\n`).catch(() => undefined));
    },
    async drained(code, failedCode) {
      while (pending.length > 0) await Promise.all(pending.splice(0));
      if (!outFailure) return code;
      const reason = (outFailure as NodeJS.ErrnoException).code ?? outFailure.message;
      await write(
        stderr,
        `error: the report could not be written whole to standard output (${reason}: its reader stopped ` +
          'reading); what it received is cut short: run again with --output FILE, or keep the reader open\n',
      ).catch(() => undefined);
      return failedCode;
    },
  };
}
