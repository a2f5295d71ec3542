/**
 * OpenCV work off the main thread (a model's forward pass on libuv's pool): cv.ts's
 * runOffThread keeps OpenCV's thread count from changing under it (see there).
 */
export { offThreadWork, runOffThread } from '../../cv.js';
