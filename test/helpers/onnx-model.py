#!/usr/bin/python3
"""
onnx-model.py writes tiny semantic-segmentation models for the tests and the bench, offline,
with Debian's python3-onnx (no download, no training). Every model takes one input `input`
of shape 1x3xHxW (float, the blob OpenCV's blobFromImage makes) and gives one output `scores`
of shape 1xCxHxW. Conv nodes carry an explicit kernel_shape: OpenCV 4.6's ONNX importer needs it.

Usage: onnx-model.py KIND OUT.onnx WIDTH HEIGHT [LAYERS]

KIND
  redgreen  a 1x1 Conv, 3 -> 2 classes: class 0 scores the blob's channel 1 (green when the
            blob is BGR), class 1 its channel 2 (red), each times 1/255, no bias. So class 1
            wins exactly where red > green (a tie goes to class 0, the first maximum).
  slow      the same two scores, reached through LAYERS (default 8) 3x3 Convs of 32 channels
            first, so that inference costs real time; the scores of the extra path are
            multiplied by zero and added, so its output equals redgreen's.
"""
import sys

import numpy as np
from onnx import TensorProto, checker, helper, numpy_helper, save


def redgreen_weights():
    w = np.zeros((2, 3, 1, 1), dtype=np.float32)
    w[0, 1, 0, 0] = 1.0 / 255.0
    w[1, 2, 0, 0] = 1.0 / 255.0
    return w


def conv(name, inp, out, weight, pads):
    k = list(weight.shape[2:])
    return helper.make_node('Conv', [inp, name + '_w'], [out], name=name, kernel_shape=k, pads=pads, strides=[1, 1])


def main():
    if len(sys.argv) < 5:
        sys.stderr.write(__doc__)
        sys.exit(2)
    kind, out, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    layers = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    inp = helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 3, height, width])
    outp = helper.make_tensor_value_info('scores', TensorProto.FLOAT, [1, 2, height, width])
    inits = []
    nodes = []
    if kind == 'redgreen':
        w = redgreen_weights()
        inits.append(numpy_helper.from_array(w, 'head_w'))
        nodes.append(conv('head', 'input', 'scores', w, [0, 0, 0, 0]))
    elif kind == 'slow':
        rng = np.random.default_rng(1)
        w = redgreen_weights()
        inits.append(numpy_helper.from_array(w, 'head_w'))
        nodes.append(conv('head', 'input', 'direct', w, [0, 0, 0, 0]))
        prev, channels = 'input', 3
        for i in range(layers):
            wi = (rng.standard_normal((32, channels, 3, 3)) * 0.05).astype(np.float32)
            inits.append(numpy_helper.from_array(wi, f'c{i}_w'))
            nodes.append(conv(f'c{i}', prev, f'c{i}_o', wi, [1, 1, 1, 1]))
            nodes.append(helper.make_node('Relu', [f'c{i}_o'], [f'r{i}'], name=f'relu{i}'))
            prev, channels = f'r{i}', 32
        wz = np.zeros((2, channels, 1, 1), dtype=np.float32)
        inits.append(numpy_helper.from_array(wz, 'zero_w'))
        nodes.append(conv('zero', prev, 'extra', wz, [0, 0, 0, 0]))
        nodes.append(helper.make_node('Add', ['direct', 'extra'], ['scores'], name='sum'))
    else:
        sys.stderr.write(f'unknown kind {kind}\n')
        sys.exit(2)
    graph = helper.make_graph(nodes, f'segcam-{kind}', [inp], [outp], initializer=inits)
    model = helper.make_model(graph, producer_name='segcam-tests', opset_imports=[helper.make_opsetid('', 11)])
    model.ir_version = 7
    checker.check_model(model)
    save(model, out)


main()
