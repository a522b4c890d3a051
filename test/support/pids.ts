import { readFileSync } from 'node:fs';

/** Whether a process still runs (a zombie waiting for a reaper does not count). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Ends a process a test started or left behind, by its id. Only a real pid: kill(2) reads 0 as
 * "my whole process group" and -1 as "everything I may signal", which would end the test runner
 * and whatever started it.
 */
export function killQuietly(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`not a process id a test may kill: ${pid}`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * The pid a step writes into a file (`echo $! > file`), once the whole line is there: the shell
 * creates the file before it writes, so a file that exists may still be empty.
 */
export async function waitForPid(file: string, what: string, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // Not written yet.
    }
    const line = /^(\d+)\n$/.exec(text);
    if (line) return Number(line[1]);
    if (Date.now() > deadline) throw new Error(`${what} did not write its pid into ${file} within ${timeoutMs}ms (it holds ${JSON.stringify(text)})`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
