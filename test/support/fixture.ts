import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serve, type TestServer } from './http.js';

/**
 * A small toolchain of real C projects that exercises every part of a build: greet-lib and
 * greet-tool share one tarball, greet-tool carries a patch, greet-app needs greet-lib and links
 * against its staged library.
 */
export interface Fixture {
  readonly dir: string;
  readonly server: TestServer;
  readonly tarballs: Record<string, Buffer>;
  /** Path of greet-tool's patch, to edit it in tests. */
  readonly patchFile: string;
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function tarball(parent: string, folder: string): Buffer {
  // Fixed mtimes and owners make the tarball (and so its checksum) identical on every run.
  const options = ['--sort=name', '--mtime=2023-01-01 00:00Z', '--owner=0', '--group=0', '--numeric-owner', '--use-compress-program=gzip -n'];
  execFileSync('tar', [...options, '-cf', `${folder}.tar.gz`, folder], { cwd: parent });
  return readFileSync(path.join(parent, `${folder}.tar.gz`));
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export const GREET_PATCH = `Make the tool greet the whole world.
--- a/tool/main.c
+++ b/tool/main.c
@@ -1,5 +1,5 @@
 #include <stdio.h>
 int main(void) {
-  puts("hello");
+  puts("hello, world");
   return 0;
 }
`;

export async function makeFixture(root: string): Promise<Fixture> {
  const upstream = path.join(root, 'upstream');
  write(path.join(upstream, 'greet-1.0/lib/greet.c'), '#include "greet.h"\nconst char *greeting(void) { return "hello from libgreet"; }\n');
  write(path.join(upstream, 'greet-1.0/lib/greet.h'), 'const char *greeting(void);\n');
  write(
    path.join(upstream, 'greet-1.0/lib/Makefile'),
    'SRC ?= .\nlibgreet.a: $(SRC)/greet.c\n\t$(CC) -c -o greet.o $(SRC)/greet.c\n\t$(AR) rc $@ greet.o\n',
  );
  write(path.join(upstream, 'greet-1.0/tool/main.c'), '#include <stdio.h>\nint main(void) {\n  puts("hello");\n  return 0;\n}\n');
  write(path.join(upstream, 'greet-1.0/tool/Makefile'), 'SRC ?= .\ngreet: $(SRC)/main.c\n\t$(CC) -o $@ $(SRC)/main.c\n');
  write(path.join(upstream, 'app-1.0/app.c'), '#include <stdio.h>\n#include <greet.h>\nint main(void) { puts(greeting()); return 0; }\n');
  write(path.join(upstream, 'app-1.0/Makefile'), 'SRC ?= .\napp: $(SRC)/app.c\n\t$(CC) $(CFLAGS) -o $@ $(SRC)/app.c $(LDFLAGS) -lgreet\n');
  const tarballs = { 'greet-1.0.tar.gz': tarball(upstream, 'greet-1.0'), 'app-1.0.tar.gz': tarball(upstream, 'app-1.0') };
  const server = await serve(Object.fromEntries(Object.entries(tarballs).map(([name, data]) => [`/${name}`, data])));

  const dir = path.join(root, 'toolchain');
  write(path.join(dir, 'toolchain.yaml'), 'target: x86_64-hermit\nprefix: /opt/hermit\n');
  const greet = `source:\n  url: ${server.url}/greet-1.0.tar.gz\n  sha256: ${sha256(tarballs['greet-1.0.tar.gz'])}\n`;
  write(
    path.join(dir, 'recipes/greet-lib.yaml'),
    `name: greet-lib
version: "1.0"
summary: the greeting library
license: MIT
${greet}build:
  - [make, -f, "{src}/lib/Makefile", "SRC={src}/lib"]
install:
  - [install, -D, -m, "644", libgreet.a, "{image}{prefix}/lib/libgreet.a"]
  - [install, -D, -m, "644", "{src}/lib/greet.h", "{image}{prefix}/include/greet.h"]
`,
  );
  write(
    path.join(dir, 'recipes/greet-tool.yaml'),
    `name: greet-tool
version: "1.0"
summary: a greeting command
license: MIT
${greet}patches: patches/greet-tool/1.0
build:
  - [make, -f, "{src}/tool/Makefile", "SRC={src}/tool"]
install:
  - [install, -D, -m, "755", greet, "{image}{prefix}/bin/greet"]
`,
  );
  write(
    path.join(dir, 'recipes/greet-app.yaml'),
    `name: greet-app
version: "1.0"
summary: an application using the greeting library
license: MIT
source:
  url: ${server.url}/app-1.0.tar.gz
  sha256: ${sha256(tarballs['app-1.0.tar.gz'])}
needs: [greet-lib]
build:
  - [make, -f, "{src}/Makefile", "SRC={src}", "CFLAGS=-I{stage}{prefix}/include", "LDFLAGS=-L{stage}{prefix}/lib"]
install:
  - [install, -D, -m, "755", app, "{image}{prefix}/bin/greet-app"]
`,
  );
  const patchFile = path.join(dir, 'patches/greet-tool/1.0/0001-whole-world.patch');
  write(patchFile, GREET_PATCH);
  return { dir, server, tarballs, patchFile };
}
