/**
 * Tiny ONNX models for the tests and the bench, written offline by onnx-model.py with Debian's
 * python3-onnx into a temporary folder (the models folder a segmenter is given).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// next to this module in the sources; from .bench/build/test/helpers (the built bench), back in the sources
const SCRIPT = [new URL('./onnx-model.py', import.meta.url), new URL('../../../../test/helpers/onnx-model.py', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p))!;

/** PYTHON is Debian's interpreter, which has python3-onnx and python3-numpy. */
export const PYTHON = '/usr/bin/python3';

/** ModelKind: `redgreen` (class 1 where the blob's channel 2 > channel 1, a 1x1 Conv) or `slow` (the same scores behind LAYERS 3x3 Convs). */
export type ModelKind = 'redgreen' | 'slow';

/** ModelsDir is a temporary models folder; `remove` deletes it. */
export interface ModelsDir {
  dir: string;
  /** writes a model into the folder and returns its file name */
  make(kind: ModelKind, file: string, width: number, height: number, layers?: number): string;
  remove(): void;
}

/** modelsDir makes a temporary models folder. */
export function modelsDir(): ModelsDir {
  const dir = mkdtempSync(join(tmpdir(), 'segcam-models-'));
  return {
    dir,
    make(kind, file, width, height, layers) {
      const args = [SCRIPT, kind, join(dir, file), String(width), String(height)];
      if (layers !== undefined) args.push(String(layers));
      execFileSync(PYTHON, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      return file;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
