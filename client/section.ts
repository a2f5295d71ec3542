/**
 * What a section of the tuning panel (targets, zones, input transform) may ask of it: the
 * current settings (the local copy), a change to send (one undo step when `commit`), whether
 * anything may be changed, and a notice to show.
 */
import type { SettingsPatch } from '../shared/protocol.js';
import type { Settings } from '../shared/settings.js';

export interface SectionContext {
  settings(): Settings;
  update(patch: SettingsPatch, commit: boolean): void;
  readonly readOnly: boolean;
  toast(text: string): void;
}
