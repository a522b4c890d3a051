import { describe, expect, it } from 'vitest';
import { decodeWaitStatus, encodeRequest, parseAnswer } from '../../src/process/spawn-protocol.js';

describe('the step spawner protocol', () => {
  it('frames a request as its byte length and NUL-separated fields, folders and argv counted before the environment', () => {
    const framed = encodeRequest({ id: 7, argv: ['sh', '-c', 'echo é'], cwd: '/w/obj', logFile: '/w/x.log', note: '$ sh', folders: ['/w/image'], jobserver: true, env: { A: 'x=y', B: '' } }).toString();
    const newline = framed.indexOf('\n');
    const body = framed.slice(newline + 1);
    expect(Number(framed.slice(0, newline))).toBe(Buffer.byteLength(body));
    expect(body.split('\0')).toEqual(['7', '/w/obj', '/w/x.log', '$ sh', '1', '1', '/w/image', '3', 'sh', '-c', 'echo é', 'A=x=y', 'B=']);
  });

  it('refuses a NUL byte, which no argument or variable can hold', () => {
    expect(() => encodeRequest({ id: 1, argv: ['a\0b'], cwd: '/', logFile: '/x', note: '', folders: [], jobserver: false, env: {} })).toThrow(/NUL/);
  });

  it('reads exit codes and signals from wait statuses', () => {
    expect(decodeWaitStatus(0)).toEqual({ exitCode: 0, signal: undefined });
    expect(decodeWaitStatus(2 << 8)).toEqual({ exitCode: 2, signal: undefined });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: undefined, signal: 'SIGKILL' });
    // A core dump sets the bit above the signal number.
    expect(decodeWaitStatus(11 | 0x80)).toEqual({ exitCode: undefined, signal: 'SIGSEGV' });
  });

  it('parses its answers and ignores anything else', () => {
    expect(parseAnswer('S 3 4242 98765')).toEqual({ type: 'started', id: 3, pid: 4242, start: '98765' });
    expect(parseAnswer('S 3 4242 -')).toEqual({ type: 'started', id: 3, pid: 4242, start: undefined });
    expect(parseAnswer('S 3 4242')).toBeUndefined();
    expect(parseAnswer('E 3 256')).toEqual({ type: 'exited', id: 3, exit: { exitCode: 1, signal: undefined } });
    expect(parseAnswer('Use of uninitialized value')).toBeUndefined();
  });
});
