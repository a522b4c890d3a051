// Download: a 200 MiB file from a server on 127.0.0.1, fetched by hermit-toolchain (streamed,
// sha256-verified, atomically renamed) against `curl -o` followed by `sha256sum` (the same work
// with the usual tools), and against `curl -o` alone.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, compare, run, standalone, summarize, tempDir } from './lib.mjs';

const SIZE = 200 * 1024 * 1024;

/** A file server in its own process, so that serving does not share our event loop. */
async function startServer(dir) {
  const server = spawn(
    process.execPath,
    ['-e', `require('http').createServer((q,s)=>require('fs').createReadStream(${JSON.stringify(path.join(dir, 'big.tar.gz'))}).pipe(s.writeHead(200,{'content-length':${SIZE}}))).listen(0,'127.0.0.1',function(){console.log(this.address().port)})`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  return { url: `http://127.0.0.1:${port}/big.tar.gz`, stop: () => server.kill() };
}

export async function download({ rounds }) {
  const dir = tempDir();
  const data = randomBytes(SIZE);
  writeFileSync(path.join(dir, 'big.tar.gz'), data);
  const sha = createHash('sha256').update(data).digest('hex');
  const server = await startServer(dir);
  try {
    const toolchain = path.join(dir, 'toolchain');
    mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
    writeFileSync(path.join(toolchain, 'recipes/big.yaml'), `name: big\nversion: "1"\nsummary: big\nlicense: MIT\nsource:\n  url: ${server.url}\n  sha256: "${sha}"\n`);
    const cache = path.join(dir, 'cache');
    const curlOut = path.join(dir, 'curl.out');
    const prepare = () => {
      rmSync(cache, { recursive: true, force: true });
      rmSync(curlOut, { force: true });
    };
    const ours = () => run(CLI, ['--toolchain', toolchain, '--work', path.join(dir, 'work'), '--cache', cache, 'fetch']);
    // The same job done with the usual tools: fetch, then check the checksum.
    const verified = await compare({ rounds, prepare, ours, theirs: () => run('sh', ['-c', 'curl -sf -o "$1" "$2" && sha256sum "$1" > /dev/null', 'sh', curlOut, server.url]) });
    const plain = await compare({ rounds, prepare, ours, theirs: () => run('curl', ['-sf', '-o', curlOut, server.url]) });
    return [
      summarize('download 200 MiB from 127.0.0.1, sha256 verified', verified, 'ms', { note: 'vs curl -o, then sha256sum' }),
      summarize('the same against curl -o alone', plain, 'ms', { note: 'ours also verifies sha256' }),
    ];
  } finally {
    server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await standalone(download);
