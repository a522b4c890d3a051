import { zlib } from '../builtins.js';

/**
 * The files every package gets besides its image, under /usr/share (outside the prefix, where
 * Debian tools look for them): the copyright file, the Debian changelog and the lintian
 * overrides. Pure: text and bytes from values.
 */

export interface DocInputs {
  readonly packageName: string;
  /** Full version, upstream-revision. */
  readonly version: string;
  readonly recipeName: string;
  readonly upstreamVersion: string;
  /** SPDX expression from the recipe, e.g. GPL-3.0-or-later or "MIT AND BSD-3-Clause". */
  readonly license: string;
  readonly homepage: string | undefined;
  readonly maintainer: string;
  readonly target: string;
  readonly epoch: number;
}

/** SPDX identifiers whose text Debian ships in /usr/share/common-licenses. */
const COMMON_LICENSES: Readonly<Record<string, { file: string; title: string }>> = {
  'GPL-2.0-only': { file: 'GPL-2', title: 'the GNU General Public License version 2' },
  'GPL-2.0-or-later': { file: 'GPL-2', title: 'the GNU General Public License version 2' },
  'GPL-3.0-only': { file: 'GPL-3', title: 'the GNU General Public License version 3' },
  'GPL-3.0-or-later': { file: 'GPL-3', title: 'the GNU General Public License version 3' },
  'LGPL-2.0-only': { file: 'LGPL-2', title: 'the GNU Library General Public License version 2' },
  'LGPL-2.0-or-later': { file: 'LGPL-2', title: 'the GNU Library General Public License version 2' },
  'LGPL-2.1-only': { file: 'LGPL-2.1', title: 'the GNU Lesser General Public License version 2.1' },
  'LGPL-2.1-or-later': { file: 'LGPL-2.1', title: 'the GNU Lesser General Public License version 2.1' },
  'LGPL-3.0-only': { file: 'LGPL-3', title: 'the GNU Lesser General Public License version 3' },
  'LGPL-3.0-or-later': { file: 'LGPL-3', title: 'the GNU Lesser General Public License version 3' },
  'Apache-2.0': { file: 'Apache-2.0', title: 'the Apache License version 2.0' },
  'MPL-2.0': { file: 'MPL-2.0', title: 'the Mozilla Public License version 2.0' },
  'GFDL-1.3-or-later': { file: 'GFDL-1.3', title: 'the GNU Free Documentation License version 1.3' },
  'CC0-1.0': { file: 'CC0-1.0', title: 'the Creative Commons CC0 1.0 Universal licence' },
};

/** The license identifiers of an SPDX expression ("A AND (B OR C) WITH X" gives A, B, C, X). */
export function licenseIdentifiers(expression: string): string[] {
  const ids = expression
    .split(/[()\s]+/)
    .filter((token) => token !== '' && !/^(AND|OR|WITH)$/i.test(token));
  return [...new Set(ids)];
}

/** /usr/share/doc/PACKAGE/copyright in the machine-readable format (DEP-5). */
export function copyrightFile(inputs: DocInputs): string {
  const header = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    `Upstream-Name: ${inputs.recipeName}`,
    ...(inputs.homepage ? [`Source: ${inputs.homepage}`] : []),
    `Comment: Built for ${inputs.target} by hermit-toolchain from ${inputs.recipeName} ${inputs.upstreamVersion}.`,
  ];
  const files = ['Files: *', `Copyright: The ${inputs.recipeName} authors (see the upstream source for each file's notice)`, `License: ${inputs.license}`];
  const licenses = licenseIdentifiers(inputs.license).map((id) => {
    const common = COMMON_LICENSES[id];
    const text = common
      ? `On Debian systems, the complete text of ${common.title} can be found in /usr/share/common-licenses/${common.file}.`
      : `The complete text of this license comes with the upstream source${inputs.homepage ? ` (${inputs.homepage})` : ''}.`;
    return [`License: ${id}`, ` ${text}`];
  });
  return [header, files, ...licenses].map((paragraph) => paragraph.join('\n')).join('\n\n') + '\n';
}

/** RFC 5322 date, as debian/changelog wants it: "Sun, 01 Jan 2023 00:00:00 +0000". */
export function changelogDate(epoch: number): string {
  return new Date(epoch * 1000).toUTCString().replace(/GMT$/, '+0000');
}

/** The Debian changelog: one entry for the version built. */
export function changelogText(inputs: DocInputs): string {
  return (
    `${inputs.packageName} (${inputs.version}) unstable; urgency=medium\n\n` +
    `  * Built for ${inputs.target} by hermit-toolchain from ${inputs.recipeName} ${inputs.upstreamVersion}.\n\n` +
    ` -- ${inputs.maintainer}  ${changelogDate(inputs.epoch)}\n`
  );
}

/** gzip -9n: no file name and mtime 0 in the header, so the same text gives the same bytes. */
export function gzipDeterministic(data: string | Uint8Array): Buffer {
  return zlib().gzipSync(data, { level: 9 });
}

export interface OverrideInputs {
  readonly packageName: string;
  /** Profile prefix without slashes at the ends (opt/hermit). */
  readonly prefix: string;
  /** Whether the package installs anything under the prefix (a metapackage does not). */
  readonly usesPrefix: boolean;
  /** Target folders (see classify.ts targetDirs) holding objects, for an Architecture: all package. */
  readonly targetDirsWithCode: readonly string[];
}

/**
 * The lintian overrides: only the tags that follow from what this package is, each with the
 * reason as a comment.
 *  - dir-or-file-in-opt: the toolchain is add-on software and installs under the prefix
 *    (/opt/hermit), as FHS 3.13 says add-on packages do; Debian's own packages never do, hence
 *    the tag. Only when the prefix is under /opt.
 *  - arch-independent-package-contains-binary-or-object: the objects and archives of an
 *    Architecture: all package are target code (x86_64-hermit libraries and start files), which is the same on
 *    every host, like the files of Debian's *-cross packages. Limited to the target folders.
 */
export function lintianOverrides(inputs: OverrideInputs): string {
  const lines: string[] = [];
  if (inputs.usesPrefix && (inputs.prefix === 'opt' || inputs.prefix.startsWith('opt/'))) {
    lines.push('# Add-on software installs under /opt by design (FHS 3.13).', `${inputs.packageName}: dir-or-file-in-opt [${inputs.prefix}/*]`);
  }
  for (const dir of inputs.targetDirsWithCode) {
    lines.push(
      `# ${dir} holds code for the cross target, the same on every host architecture.`,
      `${inputs.packageName}: arch-independent-package-contains-binary-or-object [${dir}*]`,
    );
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
