import { describe, expect, it } from 'vitest';
import { isSkiffError } from '../../sdk/index.ts';
import { parseIngressHttpConfig } from './index.ts';

describe('parseIngressHttpConfig', () => {
  it('defaults to a node port on every address and the skiff controller name', () => {
    expect(parseIngressHttpConfig({})).toEqual({
      listen: { host: '0.0.0.0', port: 30080 },
      controller: 'skiff.io/ingress-http',
      withoutClass: false,
      className: 'skiff-http',
    });
  });

  it('takes a listen address, controller, class switch and status address', () => {
    expect(
      parseIngressHttpConfig({
        listen: '[::1]:8080',
        controller: 'example.com/edge',
        watchIngressWithoutClass: true,
        address: '192.0.2.7',
        ingressClass: '',
      }),
    ).toEqual({
      listen: { host: '::1', port: 8080 },
      controller: 'example.com/edge',
      withoutClass: true,
      address: '192.0.2.7',
      className: '',
    });
  });

  it.each([
    [{ listen: 30080 }, 'listen'],
    [{ listen: '127.0.0.1:70000' }, 'listen'],
    [{ controller: 'no-slash' }, 'controller'],
    [{ watchIngressWithoutClass: 'yes' }, 'watchIngressWithoutClass'],
    [{ address: 7 }, 'address'],
    [{ ingressClass: 'Bad_Name' }, 'ingressClass'],
  ])('refuses %o naming %s', (config, field) => {
    let caught: unknown;
    try {
      parseIngressHttpConfig(config);
    } catch (err) {
      caught = err;
    }
    expect(isSkiffError(caught, 'Invalid')).toBe(true);
    expect((caught as Error).message).toContain(`ingress-http config: ${field}`);
  });
});
