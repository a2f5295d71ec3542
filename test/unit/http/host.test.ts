/**
 * Host and Origin rules: only names that are this server's (DNS rebinding), and state changes
 * only with a JSON body type (CSRF).
 */
import { describe, expect, it } from 'vitest';
import { hostAllowed, hostnameOf, isJson, originAllowed } from '../../../server/http/host.js';

describe('host rules', () => {
  it('accepts IP addresses, localhost names, the listen name and --allow-host names; refuses the rest', () => {
    for (const h of ['127.0.0.1:8080', '[::1]:8080', '10.0.0.7', 'localhost:8080', 'cam.localhost', undefined]) expect(hostAllowed(h, [], '127.0.0.1'), String(h)).toBe(true);
    for (const h of ['evil.example:8080', 'rebind.attacker.org', '127.0.0.1.nip.io']) expect(hostAllowed(h, [], '127.0.0.1'), h).toBe(false);
    expect(hostAllowed('cam.example.org', ['cam.example.org'], '0.0.0.0')).toBe(true);
    expect(hostAllowed('CAM.example.org:443', ['cam.example.org'], '0.0.0.0')).toBe(true);
    expect(hostAllowed('pi.local:8080', [], 'pi.local')).toBe(true);
    expect(hostnameOf('[::1]:80')).toBe('::1');
  });

  it('same origin or an allowed one; JSON only for changes', () => {
    expect(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080', [])).toBe(true);
    expect(originAllowed('http://127.0.0.1:9999', '127.0.0.1:8080', [])).toBe(false); // another port of the same site
    expect(originAllowed('https://dash.example', '127.0.0.1:8080', ['https://dash.example'])).toBe(true);
    expect(originAllowed('null', '127.0.0.1:8080', [])).toBe(false);
    expect(isJson('application/json')).toBe(true);
    expect(isJson('application/json; charset=utf-8')).toBe(true);
    for (const t of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined, 'application/jsonx'])
      expect(isJson(t), String(t)).toBe(false);
  });
});
