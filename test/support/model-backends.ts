import { modelSourcesFromFolder } from '../../lambda/model/model-source';
import { onnxBackends } from '../../lambda/model/onnx-backend';
import { loadOnnxModel } from '../../lambda/model/onnx-model';

/** ONNX Runtime backends, on the calling thread as in Lambda, for every model version of a repository folder. */
export function onnxBackendsOf(folder: string) {
  return onnxBackends(modelSourcesFromFolder(folder), loadOnnxModel);
}
