/**
 * What a section of the tuning panel (targets, zones, input transform) may ask of it: the
 * current settings (the local copy), a change to send (one undo step when `commit`), whether
 * anything may be changed, and a notice to show.
 */
import type { Analysis, SettingsPatch } from '../shared/protocol.js';
import type { Settings } from '../shared/settings.js';
import type { Api } from './api.js';

export interface SectionContext {
  settings(): Settings;
  update(patch: SettingsPatch, commit: boolean): void;
  readonly readOnly: boolean;
  toast(text: string): void;
}

/**
 * OutputsContext is what the rules and recordings sections may ask of the viewer: the camera's
 * API, whether anything may be changed, a notice to show, the current settings (zones, the
 * method) and analysis (its regions), and the server's clock (rule times are the server's).
 */
export interface OutputsContext {
  readonly api: Api;
  readonly readOnly: boolean;
  toast(text: string): void;
  settings(): Settings | null;
  analysis(): Analysis | undefined;
  serverNow(): number;
}
