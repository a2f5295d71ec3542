/**
 * Segmentation methods behind one interface: createSegmenter makes the running state of a
 * method; the pipeline calls `apply` per frame, `update` on a settings change of the same kind
 * (and recreates the segmenter when the kind changes), and `release` when done.
 */
import type { Method } from '../../../shared/methods.js';
import { ClustersSegmenter } from './clusters.js';
import { ColourSegmenter } from './colour.js';
import { EdgesSegmenter } from './edges.js';
import { ModelSegmenter, type ModelOptions } from './model.js';
import { ThresholdSegmenter } from './threshold.js';
import type { Segmenter, SegmenterDeps } from './types.js';

export type { MethodInfo, MethodResult, Region, Segmenter, SegmenterDeps } from './types.js';
export { releaseResult, unionMask } from './regions.js';

/**
 * createSegmenter returns a segmenter for `method`. `deps.modelsDir` is where a model method's
 * file is looked up (null: no model can be used); `deps.log` receives problems found later
 * (a model that fails to load or run). Throws a sentence when the method cannot be used at all
 * (a model file that is not in the folder).
 */
export function createSegmenter(method: Method, deps: SegmenterDeps | ModelOptions): Segmenter {
  switch (method.kind) {
    case 'colour':
      return new ColourSegmenter(method);
    case 'threshold':
      return new ThresholdSegmenter(method);
    case 'edges':
      return new EdgesSegmenter(method);
    case 'clusters':
      return new ClustersSegmenter(method);
    case 'model':
      return new ModelSegmenter(method, deps);
  }
}

/**
 * updateSegmenter applies a new method to a segmenter: in place when the kind is the same, else
 * by releasing it and creating a new one. Returns the segmenter to use from now on.
 */
export function updateSegmenter(current: Segmenter | null, method: Method, deps: SegmenterDeps | ModelOptions): Segmenter {
  if (current && current.kind === method.kind) {
    current.update(method);
    return current;
  }
  current?.release();
  return createSegmenter(method, deps);
}
