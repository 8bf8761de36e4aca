import type { onnx } from 'onnx-proto';
import { attributes, batchTensor, DataType, encodeModel, ONNX_ML_OPSET, ONNX_OPSET } from './onnx-graph';
import type { TreeNode } from './random-forest';

export interface ForestModel {
  readonly forest: readonly TreeNode[];
  readonly featureCount: number;
  readonly classLabels: readonly string[];
  readonly docString: string;
}

interface FlatTrees {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  values: number[];
  trueNodeIds: number[];
  falseNodeIds: number[];
  leafTreeIds: number[];
  leafNodeIds: number[];
  leafClassIds: number[];
  leafWeights: number[];
}

/** Numbers the nodes of each tree in pre-order, the parallel-array layout TreeEnsembleClassifier wants. */
function flatten(forest: readonly TreeNode[]): FlatTrees {
  const flat: FlatTrees = {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    modes: [],
    values: [],
    trueNodeIds: [],
    falseNodeIds: [],
    leafTreeIds: [],
    leafNodeIds: [],
    leafClassIds: [],
    leafWeights: [],
  };
  forest.forEach((tree, treeId) => {
    let nextId = 0;
    const visit = (node: TreeNode): number => {
      const id = nextId++;
      const slot = flat.nodeIds.length;
      flat.treeIds.push(treeId);
      flat.nodeIds.push(id);
      if (node.kind === 'leaf') {
        flat.featureIds.push(0);
        flat.modes.push('LEAF');
        flat.values.push(0);
        flat.trueNodeIds.push(0);
        flat.falseNodeIds.push(0);
        node.distribution.forEach((probability, classId) => {
          // Each tree votes with its leaf's class distribution divided by the tree count, so with post_transform
          // NONE the summed scores are the forest's mean probabilities and each row sums to 1.
          if (probability === 0) return;
          flat.leafTreeIds.push(treeId);
          flat.leafNodeIds.push(id);
          flat.leafClassIds.push(classId);
          flat.leafWeights.push(probability / forest.length);
        });
        return id;
      }
      flat.featureIds.push(node.feature);
      flat.modes.push('BRANCH_LEQ');
      flat.values.push(node.threshold);
      flat.trueNodeIds.push(-1);
      flat.falseNodeIds.push(-1);
      flat.trueNodeIds[slot] = visit(node.left);
      flat.falseNodeIds[slot] = visit(node.right);
      return id;
    };
    visit(tree);
  });
  return flat;
}

/**
 * A TreeEnsembleClassifier without the ZipMap that converters usually append: onnxruntime-node cannot return maps,
 * and a plain [batch, classes] tensor is what the Open Inference Protocol can carry anyway.
 */
export function forestToOnnx(model: ForestModel): Uint8Array {
  const flat = flatten(model.forest);
  const node: onnx.INodeProto = {
    opType: 'TreeEnsembleClassifier',
    domain: ONNX_ML_OPSET.domain,
    name: 'forest',
    input: ['features'],
    output: ['label', 'probabilities'],
    attribute: [
      attributes.strings('classlabels_strings', model.classLabels),
      attributes.ints('nodes_treeids', flat.treeIds),
      attributes.ints('nodes_nodeids', flat.nodeIds),
      attributes.ints('nodes_featureids', flat.featureIds),
      attributes.strings('nodes_modes', flat.modes),
      attributes.floats('nodes_values', flat.values),
      attributes.ints('nodes_truenodeids', flat.trueNodeIds),
      attributes.ints('nodes_falsenodeids', flat.falseNodeIds),
      attributes.ints('class_treeids', flat.leafTreeIds),
      attributes.ints('class_nodeids', flat.leafNodeIds),
      attributes.ints('class_ids', flat.leafClassIds),
      attributes.floats('class_weights', flat.leafWeights),
      attributes.string('post_transform', 'NONE'),
    ],
  };
  return encodeModel({
    name: 'random_forest',
    docString: model.docString,
    opsets: [ONNX_OPSET, ONNX_ML_OPSET],
    nodes: [node],
    inputs: [batchTensor('features', DataType.FLOAT, model.featureCount)],
    outputs: [
      batchTensor('label', DataType.STRING),
      batchTensor('probabilities', DataType.FLOAT, model.classLabels.length),
    ],
  });
}
