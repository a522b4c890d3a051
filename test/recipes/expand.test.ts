import { describe, expect, it } from 'vitest';
import { PlanError } from '../../src/errors.js';
import { expandString, placeholdersUsed, type ExpandScope } from '../../src/recipes/expand.js';

const scope: ExpandScope = {
  recipe: 'gcc',
  step: 'configure step 2',
  values: {
    name: 'gcc',
    version: '12.2.0',
    target: 'x86_64-hermit',
    prefix: '/opt/hermit',
    osabi: '255',
    jobs: '2',
    src: '/w/src/gcc',
    relsrc: '../../src/gcc',
    obj: '/w/obj/gcc',
    image: '/w/image/gcc',
    stage: '/w/stage/gcc',
    sysroot: '/w/stage/gcc/opt/hermit/x86_64-hermit',
    work: '/w',
  },
  sourceOf: (other) => (other === 'lwip' ? '/w/src/lwip' : undefined),
};

describe('placeholders', () => {
  it('expands every known placeholder', () => {
    expect(expandString('{src}/configure', scope)).toBe('/w/src/gcc/configure');
    expect(expandString('--target={target} --prefix={prefix}', scope)).toBe('--target=x86_64-hermit --prefix=/opt/hermit');
    expect(expandString('{name}-{version} -j{jobs} {obj} {image} {stage} {sysroot} {osabi}', scope)).toBe(
      'gcc-12.2.0 -j2 /w/obj/gcc /w/image/gcc /w/stage/gcc /w/stage/gcc/opt/hermit/x86_64-hermit 255',
    );
    expect(expandString('-DLWIP={src:lwip}/src', scope)).toBe('-DLWIP=/w/src/lwip/src');
    expect(expandString('{relsrc}/configure -ffile-prefix-map={work}=/usr/src', scope)).toBe('../../src/gcc/configure -ffile-prefix-map=/w=/usr/src');
  });

  it('leaves shell variables alone and reads {{ as a literal brace', () => {
    expect(expandString('for f in *; do echo ${f}; done', scope)).toBe('for f in *; do echo ${f}; done');
    expect(expandString('{{src}', scope)).toBe('{src}');
    expect(expandString('{ echo; }', scope)).toBe('{ echo; }');
  });

  it('names recipe and step for an unknown placeholder', () => {
    expect(() => expandString('{sources}/x', scope)).toThrow(PlanError);
    expect(() => expandString('{sources}/x', scope)).toThrow(/recipe gcc, configure step 2: unknown placeholder \{sources\}/);
  });

  it('refuses {src:OTHER} for a recipe that is not needed', () => {
    expect(() => expandString('{src:newlib}', scope)).toThrow(/\{src:newlib\} names "newlib", which is not among the recipe's needs/);
  });

  it('lists the placeholders steps use', () => {
    expect(placeholdersUsed([['{src}/configure', '--prefix={prefix}'], ['make', '-C', '{src:lwip}']])).toEqual(['prefix', 'src', 'src:lwip']);
  });
});
