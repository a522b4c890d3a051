import { execa } from 'execa';
import { which } from '../../src/process/which.js';

/** python3, whose pty module gives the tests a terminal; undefined where there is none. */
export const PYTHON = await which('python3', process.env.PATH);

export interface PtyRun {
  /** Everything the program wrote to its terminal. */
  readonly output: string;
  /** How it ended: `exit N` or `signal N`. */
  readonly ended: string;
}

const SCRIPT = `
import fcntl, os, pty, select, struct, sys, termios, time
hang_up_when, timeout, rows, columns, argv = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
if rows or columns:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))
out = bytearray()
deadline = time.time() + timeout
while time.time() < deadline and not (hang_up_when and os.path.exists(hang_up_when)):
    ready, _, _ = select.select([fd], [], [], 0.05)
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        out += data
os.close(fd)
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.stderr.write('signal %d' % os.WTERMSIG(status) if os.WIFSIGNALED(status) else 'exit %d' % os.WEXITSTATUS(status))
`;

/**
 * Runs `argv` on a fresh pseudo-terminal, which has 0 rows and 0 columns until someone sets
 * them, as the live view meets under some CI runners and `docker exec -t`. With `hangUpWhen`,
 * the terminal is closed (as when its window closes or ssh drops) once that file exists; the
 * run is bounded by `timeoutMs` either way, after which the terminal is closed too. With `size`,
 * the terminal has that many rows and columns from the start, as a terminal window has.
 */
export async function runOnPty(
  argv: readonly string[],
  options: { env: Record<string, string | undefined>; hangUpWhen?: string; timeoutMs?: number; size?: { rows: number; columns: number } },
): Promise<PtyRun> {
  if (PYTHON === undefined) throw new Error('python3 is needed to run a program on a terminal');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const result = await execa(PYTHON, ['-c', SCRIPT, options.hangUpWhen ?? '', String(timeoutMs / 1000), String(options.size?.rows ?? 0), String(options.size?.columns ?? 0), ...argv], {
    env: options.env,
    extendEnv: false,
    reject: false,
    timeout: timeoutMs + 10_000,
  });
  return { output: result.stdout, ended: result.stderr.trim().split('\n').at(-1) ?? '' };
}
