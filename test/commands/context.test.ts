import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileOf, resolveContext } from '../../src/commands/context.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

async function toolchain(): Promise<string> {
  const dir = await tempDir();
  mkdirSync(path.join(dir, 'recipes'));
  writeFileSync(path.join(dir, 'recipes/demo.yaml'), 'name: demo\nversion: "1"\nsummary: a demo\nlicense: MIT\n');
  writeFileSync(path.join(dir, 'other.yaml'), 'prefix: /opt/other\n');
  return dir;
}

describe('the command context', () => {
  it('takes the profile from --config', async () => {
    const dir = await toolchain();
    const options = { toolchain: dir, work: path.join(dir, 'work'), config: path.join(dir, 'other.yaml') };
    expect((await resolveContext(options)).toolchain.profile.prefix).toBe('/opt/other');
    expect((await profileOf(options)).prefix).toBe('/opt/other');
  });

  it('refuses a --config that does not exist or is not a file, naming it', async () => {
    const dir = await toolchain();
    for (const config of [path.join(dir, 'nonexistent.yaml'), dir]) {
      const options = { toolchain: dir, work: path.join(dir, 'work'), config };
      for (const load of [resolveContext, profileOf]) {
        const error = await load(options).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${load.name} ${config}`).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toMatch(new RegExp(`^${config}: (no such profile file|is a directory, not a profile file)$`));
      }
    }
  });
});
