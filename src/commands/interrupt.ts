import { isatty } from 'node:tty';

/**
 * The signals that cancel a run, with the exit status a shell reports for each (128 + its
 * number; TERM shares INT's, as it always has here). A closed terminal or a dropped ssh session
 * sends HUP: left to node's default, it would end this process alone, and the steps, each in its
 * own process group, would go on as orphans beside the next run.
 *
 * PIPE stands for a closed stdout or stderr (`build | head -1`): node ignores the signal itself,
 * so what arrives is a write failing with EPIPE (see cancelForClosedOutput). The signal is not
 * listened for: a handler would make any broken pipe of this process a reason to cancel the
 * build, a compressor that died in a package task among them.
 */
const EXIT_STATUS = { SIGHUP: 129, SIGINT: 130, SIGPIPE: 141, SIGTERM: 130 } as const satisfies Partial<Record<NodeJS.Signals, number>>;
type CancelSignal = keyof typeof EXIT_STATUS;
const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const satisfies readonly CancelSignal[];

/** How the run listening now takes a closed output; there is one stdout, so one at a time. */
let onClosedOutput: (() => void) | undefined;

/**
 * Called when a write to stdout or stderr failed with EPIPE. A run listening for interrupts
 * cancels as on SIGPIPE, ending its steps, and returns true; with none, there are no steps to
 * end, and it returns false.
 */
export function cancelForClosedOutput(): boolean {
  onClosedOutput?.();
  return onClosedOutput !== undefined;
}

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
 * Listens for HUP, INT and TERM, and for a closed output, for the length of a run. The first
 * one aborts the run; a second INT or TERM exits at once, without waiting for the steps to end.
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
      // its jobs), and every later write to a closed output fails again: only a repeated INT or
      // TERM is someone asking to stop at once.
      if (signal === 'SIGHUP' || signal === 'SIGPIPE') return;
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      process.exit(EXIT_STATUS[signal]);
    }
    received = signal;
    // Abort before writing: after HUP the terminal may be gone, and a write to it can fail.
    controller.abort(new Error(`interrupted by ${signal}`));
    const again = signal === 'SIGINT' || signal === 'SIGTERM' ? ' (press again to exit at once)' : '';
    const why = signal === 'SIGPIPE' ? ' (the output was closed)' : '';
    process.stderr.write(`\n${signal}${why}: stopping every running step${again}\n`);
  };
  const closed = (): void => onSignal('SIGPIPE');
  const dispose = (): void => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    if (onClosedOutput === closed) onClosedOutput = undefined;
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  onClosedOutput = closed;
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
