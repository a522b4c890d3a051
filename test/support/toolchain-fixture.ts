import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeDebFixture } from './deb-fixture.js';

/**
 * The packaging fixture (deb-fixture.ts) plus what a toolchain repository has on top: a
 * "compiler" package with {prefix}/bin/{target}-gcc and the `hermit-toolchain` meta package.
 * The compiler is the host's gcc followed by stamping OS/ABI 0xFF (Standalone) at offset 7 of
 * its output, as the hermit linker does: enough for bootstrap's hello-world check to judge.
 */
const FAKE_GCC = `#!/bin/sh
out=a.out
previous=
for arg in "$@"; do
  [ "$previous" = -o ] && out=$arg
  previous=$arg
done
gcc "$@" || exit $?
printf '\\377' | dd of="$out" bs=1 seek=7 conv=notrunc status=none
`;

export async function writeToolchainFixture(dir: string): Promise<string> {
  await writeDebFixture(dir);
  await writeFile(
    path.join(dir, 'recipes', 'cc.yaml'),
    `name: cc
version: "12.2.0"
summary: stand-in cross compiler for the x86_64-hermit fixture toolchain
license: GPL-3.0-or-later
install:
  - [sh, -c, ${JSON.stringify(`mkdir -p {image}{prefix}/bin && cat > {image}{prefix}/bin/{target}-gcc <<'EOF'\n${FAKE_GCC}EOF\nchmod 755 {image}{prefix}/bin/{target}-gcc`)}]
package:
  name: gcc-hermit
  depends: [hello-hermit]
`,
  );
  await writeFile(
    path.join(dir, 'recipes', 'toolchain.yaml'),
    `name: toolchain
version: "1"
summary: the whole fixture toolchain
license: MIT
package:
  name: hermit-toolchain
  depends: [gcc-hermit, libfake-hermit]
`,
  );
  return dir;
}
