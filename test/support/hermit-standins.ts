import { copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './cli.js';

/**
 * Stand-ins for what cannot be had here: the upstream repositories of pthread-embedded, LwIP and
 * libhermit (GitHub is unreachable), and the real GNU toolchain (hours to build). The recipes
 * under test are this repository's own pthread-embedded, lwip, libhermit-bootstrap, libhermit
 * and hermit-toolchain recipes, unchanged; the GNU recipes are replaced by stubs that install
 * `x86_64-hermit-*` wrappers around the host tools, and the sources by small trees laid out like
 * the real ones, given with --source.
 */

function write(file: string, text: string, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text, { mode });
}

const HEAD = (name: string, version: string) => `name: ${name}\nversion: "${version}"\nsummary: stand-in ${name}\nlicense: MIT\n`;

/** A stub GNU recipe installing wrapper scripts `{prefix}/bin/{target}-TOOL` → host TOOL. */
function stubTools(name: string, version: string, tools: Record<string, string>, needs: string[] = [], extra = '', packageName?: string): string {
  const lines = Object.entries(tools).map(
    ([tool, host]) =>
      `  - [sh, -c, "install -d {image}{prefix}/bin && printf '#!/bin/sh\\\\nexec ${host} \\"$@\\"\\\\n' > {image}{prefix}/bin/{target}-${tool} && chmod 755 {image}{prefix}/bin/{target}-${tool}"]`,
  );
  return `${HEAD(name, version)}needs: [${needs.join(', ')}]\ninstall:\n${lines.join('\n')}\n${extra}${packageName ? `package:\n  name: ${packageName}\n` : ''}`;
}

export const STANDIN_RECIPES = ['pthread-embedded', 'lwip', 'hermit-caves', 'libhermit-bootstrap', 'libhermit', 'hermit-toolchain'];

export interface HermitStandins {
  readonly toolchain: string;
  /** `--source` arguments for the git recipes. */
  readonly sources: string[];
}

export function makeHermitStandins(root: string): HermitStandins {
  const toolchain = path.join(root, 'toolchain');
  for (const name of STANDIN_RECIPES) {
    mkdirSync(path.join(toolchain, 'recipes'), { recursive: true });
    copyFileSync(path.join(REPO, 'recipes', `${name}.yaml`), path.join(toolchain, 'recipes', `${name}.yaml`));
    // The recipes name their patch series; sources given with --source are used unpatched.
    const patches = path.join(REPO, 'patches', name);
    if (existsSync(patches)) cpSync(patches, path.join(toolchain, 'patches', name), { recursive: true });
  }
  // The host elfedit knows no "Standalone" (our binutils patch adds it): the stand-in accepts
  // and ignores the call; the recipes' osabi key stamps the libraries, as it does for real.
  write(path.join(toolchain, 'recipes/binutils.yaml'), stubTools('binutils', '2.40', { ar: 'ar', ranlib: 'ranlib', objcopy: 'objcopy', elfedit: 'true' }, [], '', 'binutils-hermit'));
  write(path.join(toolchain, 'recipes/gcc-compilers.yaml'), stubTools('gcc-compilers', '12.2.0', { gcc: 'gcc' }, ['binutils']));
  write(
    path.join(toolchain, 'recipes/newlib.yaml'),
    `${HEAD('newlib', '3.3.0')}needs: [gcc-compilers]\ninstall:\n  - [sh, -c, "install -d {image}{prefix}/{target}/include {image}{prefix}/{target}/lib && echo '#define NEWLIB 1' > {image}{prefix}/{target}/include/newlib.h && echo '/* newlib sched.h */' > {image}{prefix}/{target}/include/sched.h"]\npackage:\n  name: newlib-hermit\n`,
  );
  write(
    path.join(toolchain, 'recipes/gcc.yaml'),
    stubTools('gcc', '12.2.0', { gcc: 'gcc', 'g++': 'g++' }, ['binutils', 'newlib', 'pthread-embedded', 'libhermit-bootstrap'], '', 'gcc-hermit'),
  );

  // pthread-embedded: an in-tree configure writing a Makefile, as the real project has.
  const pte = path.join(root, 'sources/pthread-embedded');
  write(
    path.join(pte, 'configure'),
    `#!/bin/sh
target=; prefix=
for arg; do case $arg in --target=*) target=\${arg#*=};; --prefix=*) prefix=\${arg#*=};; esac; done
test -n "$target" || { echo "configure: --target is required" >&2; exit 1; }
cat > Makefile <<MAKE
CC = $target-gcc
AR = $target-ar
libpthread.a: pthread.o platform/hermit/pte_osal.o
\t\\$(AR) rcs \\$@ pthread.o platform/hermit/pte_osal.o
%.o: %.c
\t\\$(CC) -O2 -I. -Iplatform/hermit -c -o \\$@ \\$<
MAKE
`,
    0o755,
  );
  write(path.join(pte, 'pthread.c'), '#include "pthread.h"\nint pthread_self_id(void) { return 1; }\n');
  write(path.join(pte, 'platform/hermit/pte_osal.c'), '#include "pte_osal.h"\nint pte_osInit(void) { return 0; }\n');
  for (const header of ['pthread.h', 'semaphore.h', 'sched.h', 'pte_generic_osal.h']) write(path.join(pte, header), `/* ${header} */\n`);
  for (const header of ['pte_osal.h', 'pte_types.h']) write(path.join(pte, 'platform/hermit', header), `/* ${header} */\n`);

  // LwIP: the tree libhermit compiles into itself.
  const lwip = path.join(root, 'sources/lwip');
  write(path.join(lwip, 'src/core/tcp.c'), 'int lwip_tcp_ready(void) { return 1; }\n');
  write(path.join(lwip, 'src/include/lwip/opt.h'), '/* lwip options */\n');

  // hermit-caves: the proxy's tree, which the full libhermit build finds in its caves folder.
  write(path.join(root, 'sources/hermit-caves/proxy.c'), 'int main(void) { return 0; }\n');

  // libhermit: CMake, a bootstrap target and install component as the facts describe, NASM-like
  // objects stamped through CMAKE_ELFEDIT (the staged elfedit). The full build's languages are
  // those of the patched tree (no Go), since --source trees are used unpatched.
  const kernel = path.join(root, 'sources/libhermit');
  write(
    path.join(kernel, 'CMakeLists.txt'),
    `cmake_minimum_required(VERSION 3.7)
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_C_COMPILER \${TOOLCHAIN_BIN_DIR}/x86_64-hermit-gcc)
set(CMAKE_AR \${TOOLCHAIN_BIN_DIR}/x86_64-hermit-ar)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
project(hermit C)
include(cmake/HermitCore.cmake)
add_library(hermit STATIC kernel.c lwip/src/core/tcp.c)
target_include_directories(hermit PRIVATE include lwip/src/include)
add_custom_command(TARGET hermit POST_BUILD COMMAND \${CMAKE_ELFEDIT} --output-osabi Standalone $<TARGET_FILE:hermit>)
add_custom_target(hermit-bootstrap DEPENDS hermit)
install(TARGETS hermit ARCHIVE DESTINATION x86_64-hermit/lib COMPONENT bootstrap)
install(FILES include/hermit/stddef.h DESTINATION x86_64-hermit/include/hermit COMPONENT bootstrap)
add_custom_target(hermit-bootstrap-install COMMAND \${CMAKE_COMMAND} -DCOMPONENT=bootstrap -P cmake_install.cmake DEPENDS hermit)
if(NOT BOOTSTRAP)
  add_custom_command(OUTPUT proxy COMMAND cc -o proxy \${CMAKE_SOURCE_DIR}/tools/proxy.c DEPENDS tools/proxy.c)
  add_custom_target(proxy-tool ALL DEPENDS proxy)
  install(PROGRAMS \${CMAKE_BINARY_DIR}/proxy DESTINATION bin)
endif()
`,
  );
  write(path.join(kernel, 'cmake/HermitCore.cmake'), 'if(NOT BOOTSTRAP)\n  enable_language(C)\nendif()\nfind_program(CMAKE_ELFEDIT NAMES x86_64-hermit-elfedit HINTS ${TOOLCHAIN_BIN_DIR})\n');
  write(path.join(kernel, 'kernel.c'), '#include <hermit/stddef.h>\nint hermit_kernel_main(void) { return 0; }\n');
  write(path.join(kernel, 'include/hermit/stddef.h'), '/* hermit stddef */\n');
  write(path.join(kernel, 'tools/proxy.c'), '#include <stdio.h>\nint main(void) { puts("proxy stand-in"); return 0; }\n');
  // The real repository records lwip as a submodule; its folder is replaced by the lwip recipe's.
  write(path.join(kernel, 'lwip/.keep'), '');

  return {
    toolchain,
    sources: ['pthread-embedded', 'lwip', 'hermit-caves', 'libhermit-bootstrap', 'libhermit'].flatMap((name) => [
      '--source',
      `${name}=${path.join(root, 'sources', name === 'libhermit-bootstrap' ? 'libhermit' : name)}`,
    ]),
  };
}
