import { isatty } from 'node:tty';

/**
 * The signals that cancel a run, with the exit status a shell reports for each (128 + its
 * number; TERM shares INT's, as it always has here). A closed terminal or a dropped ssh session
 * sends HUP: left to node's default, it would end this process alone, and the steps, each in its
 * own process group, would go on as orphans beside the next run.
 */
const EXIT_STATUS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 130 } as const satisfies Partial<Record<NodeJS.Signals, number>>;
type CancelSignal = keyof typeof EXIT_STATUS;
const SIGNALS = Object.keys(EXIT_STATUS) as CancelSignal[];

export interface Interruption {
  /** Aborted at the first signal: the engine ends every running process group. */
  readonly signal: AbortSignal;
  /** The exit status for the signal received, or undefined while none was. */
  exitCode(): number | undefined;
  /**
   * Ends the process after a HUP, once the run is over, when it started on a terminal: node's
   * exit puts the terminal back as it found it and aborts when the terminal is gone, so the
   * process dies by the signal instead (the shell reports the same status, 129). Returns when
   * there is nothing to do.
   */
  endIfHungUp(): void;
  /** Stops listening (the run is over). */
  dispose(): void;
}

/**
 * Listens for HUP, INT and TERM for the length of a run. The first one aborts the run; a second
 * INT or TERM exits at once, without waiting for the steps to end.
 */
export function listenForInterrupts(): Interruption {
  const controller = new AbortController();
  const onTerminal = [0, 1, 2].some((fd) => isatty(fd));
  let received: CancelSignal | undefined;
  let hungUp = false;
  const onSignal = (signal: CancelSignal): void => {
    if (signal === 'SIGHUP') hungUp = true;
    if (received) {
      // A hang-up comes more than once (from the terminal, and from the shell passing it on to
      // its jobs): only a repeated INT or TERM is someone asking to stop at once.
      if (signal === 'SIGHUP') return;
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      process.exit(EXIT_STATUS[signal]);
    }
    received = signal;
    // Abort before writing: after HUP the terminal may be gone, and a write to it can fail.
    controller.abort(new Error(`interrupted by ${signal}`));
    process.stderr.write(`\n${signal}: stopping every running step${signal === 'SIGHUP' ? '' : ' (press again to exit at once)'}\n`);
  };
  const dispose = (): void => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (received === undefined ? undefined : EXIT_STATUS[received]),
    endIfHungUp: () => {
      if (!hungUp || !onTerminal) return;
      dispose();
      // Other listeners too (the terminal view's cursor restorer): with none left the signal's
      // default action ends the process at once, instead of a listener letting it exit.
      process.removeAllListeners('SIGHUP');
      process.kill(process.pid, 'SIGHUP');
    },
    dispose,
  };
}
