import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A tiny toolchain whose recipes have no sources: their install steps make the image with the
 * host's gcc. It has what real packages have:
 *  - hello: host programs linked against libc and against a shared library of its own
 *    (DT_NEEDED libc.so.6 -> Depends: libc6; libgreet.so.1 is shipped, so no dependency), left
 *    unstripped; a hard link under {prefix}/{target}/bin (as binutils does), a symlink, a path
 *    longer than 100 bytes; and one target object (crt0.o) in the target sysroot.
 *  - libfake: only target code (an x86-64 archive under {prefix}/{target}/lib and a header):
 *    Architecture: all, depends on hello-hermit.
 *  - meta: no source and no steps, only a package depending on both.
 *  - outside (only when asked for): installs a file under /etc, which packaging must refuse.
 *  - needy (only when asked for): installs a program linked against a library it leaves in its
 *    build folder, which no package has: dpkg-shlibdeps must fail the package task.
 */
export interface DebFixtureOptions {
  readonly withOutside?: boolean;
  readonly withUnresolved?: boolean;
  /** Extra profile lines (toolchain.yaml). */
  readonly profile?: string;
}

// `{{` is a literal brace for the placeholder expander; C code is written with it.
// -ffile-prefix-map keeps the work directory out of the debug info, and so out of the build id.
const HELLO_STEPS = [
  'set -e',
  'mkdir -p {image}{prefix}/bin {image}{prefix}/lib {image}{prefix}/{target}/bin {image}{prefix}/{target}/lib {image}{prefix}/share/doc',
  `printf '%s\\n' 'const char *greeting(void) {{ return "hello from libgreet"; }' > greet.c`,
  'gcc -ffile-prefix-map={obj}=. -shared -fPIC -Wl,-soname,libgreet.so.1 -o {image}{prefix}/lib/libgreet.so.1 greet.c',
  'ln -s libgreet.so.1 {image}{prefix}/lib/libgreet.so',
  `printf '%s\\n' '#include <stdio.h>' 'const char *greeting(void);' 'int main(void) {{ puts(greeting()); return 0; }' > hello.c`,
  'gcc -ffile-prefix-map={obj}=. -O2 -g -o {image}{prefix}/bin/{target}-hello hello.c -L{image}{prefix}/lib -lgreet -Wl,-rpath,\\$ORIGIN/../lib:\\$ORIGIN/../../lib',
  'ln {image}{prefix}/bin/{target}-hello {image}{prefix}/{target}/bin/hello',
  `printf '%s\\n' 'int _start_hermit(void) {{ return 0; }' > crt0.c`,
  'gcc -c -o {image}{prefix}/{target}/lib/crt0.o crt0.c',
  'chmod 600 {image}{prefix}/{target}/lib/crt0.o',
  'long={image}{prefix}/share/doc/a-folder-name-that-is-long-enough/to-push-this-path-beyond-the-hundred-bytes-of-a-tar-header',
  'mkdir -p "$long" && echo "long path" > "$long/README.hermit-and-more-text"',
].join('\n');

const LIBFAKE_STEPS = [
  'set -e',
  'mkdir -p {image}{prefix}/{target}/lib {image}{prefix}/{target}/include',
  `printf '%s\\n' 'int fake(void) {{ return 42; }' > fake.c`,
  'gcc -c -o fake.o fake.c',
  'ar rcD {image}{prefix}/{target}/lib/libfake.a fake.o',
  "printf '%s\\n' 'int fake(void);' > {image}{prefix}/{target}/include/fake.h",
].join('\n');

export async function writeDebFixture(dir: string, options: DebFixtureOptions = {}): Promise<string> {
  await mkdir(path.join(dir, 'recipes'), { recursive: true });
  await writeFile(path.join(dir, 'toolchain.yaml'), `source-date-epoch: 1672531200\nrevision: "1"\n${options.profile ?? ''}`);
  const recipe = (name: string, text: string): Promise<void> => writeFile(path.join(dir, 'recipes', `${name}.yaml`), text);
  await recipe(
    'hello',
    `name: hello
version: "2.40"
summary: greeting programs for the x86_64-hermit fixture toolchain
homepage: https://example.org/hello
license: GPL-3.0-or-later
install:
  - [sh, -c, ${JSON.stringify(HELLO_STEPS)}]
package:
  name: hello-hermit
  description: |
    The hello programs greet through a shared library of their own.

    They exist to test packaging.
`,
  );
  await recipe(
    'libfake',
    `name: libfake
version: "1.0+git20230101"
summary: target library for the fixture toolchain
license: BSD-3-Clause
needs: [hello]
install:
  - [sh, -c, ${JSON.stringify(LIBFAKE_STEPS)}]
package:
  name: libfake-hermit
  depends: [hello-hermit]
`,
  );
  await recipe(
    'meta',
    `name: meta
version: "1"
summary: whole fixture toolchain
license: MIT
homepage: https://example.org/meta
package:
  name: fixture-hermit
  depends: [hello-hermit, libfake-hermit]
`,
  );
  if (options.withOutside) {
    await recipe(
      'outside',
      `name: outside
version: "1"
summary: installs where it must not
license: MIT
install:
  - [sh, -c, "mkdir -p {image}/etc {image}{prefix}/bin && echo x > {image}/etc/outside.conf && echo y > {image}{prefix}/bin/fine"]
package:
  name: outside-hermit
`,
    );
  }
  if (options.withUnresolved) {
    const steps = [
      'set -e',
      'mkdir -p {image}{prefix}/bin',
      `printf '%s\\n' 'int gone(void) {{ return 0; }' > gone.c`,
      'gcc -shared -fPIC -Wl,-soname,libgone.so.1 -o libgone.so.1 gone.c',
      `printf '%s\\n' 'int gone(void);' 'int main(void) {{ return gone(); }' > needy.c`,
      'gcc -o {image}{prefix}/bin/needy needy.c ./libgone.so.1',
    ].join('\n');
    await recipe(
      'needy',
      `name: needy
version: "1"
summary: needs a library nobody ships
license: MIT
install:
  - [sh, -c, ${JSON.stringify(steps)}]
package:
  name: needy-hermit
`,
    );
  }
  return dir;
}
