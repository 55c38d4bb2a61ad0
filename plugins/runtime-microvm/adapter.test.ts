import { describe, expect, it } from 'vitest';
import { defaultMicroVmOptions, microVmOptions } from './adapter.ts';

describe('microVmOptions', () => {
  it('fills in the defaults and takes the state dir as the root', () => {
    expect(microVmOptions({})).toEqual(defaultMicroVmOptions);
    expect(microVmOptions({ stateDir: '/s' }).root).toBe('/s');
    expect(microVmOptions({ stateDir: '/s', root: '/r' }).root).toBe('/r');
  });

  it('reads strings from the command line as numbers and booleans', () => {
    const o = microVmOptions({
      vmGraceSeconds: '2',
      masquerade: 'false',
      bridge: 'b0',
      qemu: '/q',
      memoryOverheadMiB: '32',
    });
    expect(o).toMatchObject({
      vmGraceSeconds: 2,
      masquerade: false,
      bridge: 'b0',
      memoryOverheadMiB: 32,
      binaries: { qemu: '/q', virtiofsd: defaultMicroVmOptions.binaries.virtiofsd },
    });
  });

  it.each([
    [{ vmGraceSeconds: 'soon' }, 'option vmGraceSeconds must be a number ≥ 0, not soon'],
    [{ bootTimeoutSeconds: '-1' }, 'option bootTimeoutSeconds must be a number ≥ 0, not -1'],
    [{ masquerade: 'yes' }, 'option masquerade must be true or false'],
    [{ bridge: 3 }, 'option bridge must be a string'],
  ])('refuses %j', (config, message) => {
    expect(() => microVmOptions(config)).toThrow(message);
  });
});
