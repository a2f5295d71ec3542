/**
 * What the viewer exposes on `window` for the browser tests and the screenshot script.
 */
import type { Connection } from './connection.js';
import type { Controls } from './controls.js';
import type { PictureInput } from './picture.js';
import type { RecordingsSection } from './recordings.js';
import type { RulesSection } from './rules.js';
import type { StatusOverlay } from './status.js';
import type { View } from './view.js';

declare global {
  interface Window {
    segcam: { status: StatusOverlay; view: View; controls: Controls; connection: Connection; picture: PictureInput; rules: RulesSection; recordings: RecordingsSection };
  }
}
