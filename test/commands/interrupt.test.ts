import { describe, expect, it, vi } from 'vitest';
import { cancelForClosedOutput, listenForInterrupts } from '../../src/commands/interrupt.js';

describe('interrupts', () => {
  it('a closed output cancels the run listening, as SIGPIPE would (exit status 141), and only once', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // No run: nothing to end, the caller exits as before.
      expect(cancelForClosedOutput()).toBe(false);
      const interrupt = listenForInterrupts();
      try {
        expect(cancelForClosedOutput()).toBe(true);
        expect(interrupt.signal.aborted).toBe(true);
        expect(interrupt.exitCode()).toBe(141);
        // Every later write to the closed output fails too: that is no reason to stop at once.
        expect(cancelForClosedOutput()).toBe(true);
        expect(exit).not.toHaveBeenCalled();
        expect(stderr.mock.calls.map(([text]) => String(text))).toEqual(['\nSIGPIPE (the output was closed): stopping every running step\n']);
      } finally {
        interrupt.dispose();
      }
      expect(cancelForClosedOutput()).toBe(false);
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});
