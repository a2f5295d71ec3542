/**
 * The models folder, without OpenCV (the front lists it for the viewer): which .onnx files a
 * model method may name, and the one path a name resolves to.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { modelFileSchema } from '../../../shared/methods.js';

/**
 * resolveModelFile returns the path of model file `file` inside `modelsDir`, or throws a
 * sentence saying why it cannot be used. Only a plain file name is accepted: no path, no
 * parent folder, nothing outside the folder.
 */
export function resolveModelFile(modelsDir: string | null, file: string): string {
  if (!modelsDir) throw new Error('no models folder is configured, so no model can be loaded');
  if (!modelFileSchema.safeParse(file).success) throw new Error(`"${file}" is not the name of an .onnx file`);
  const dir = resolve(modelsDir);
  const path = resolve(dir, file);
  if (dirname(path) !== dir) throw new Error(`"${file}" is not a file of the models folder`);
  if (!existsSync(path) || !statSync(path).isFile()) throw new Error(`model file ${file} is not in the models folder`);
  return path;
}

/** listModels returns the names of the .onnx files in `modelsDir` that a model method may name, sorted. */
export function listModels(modelsDir: string | null): string[] {
  if (!modelsDir || !existsSync(modelsDir)) return [];
  return readdirSync(modelsDir, { withFileTypes: true })
    .filter((e) => e.isFile() && modelFileSchema.safeParse(e.name).success)
    .map((e) => e.name)
    .sort();
}
