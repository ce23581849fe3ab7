/** An in-memory copy of a LayersModel (same architecture, layer names and weights). */
import * as tf from '@tensorflow/tfjs';

export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts) throw new Error(`cloneModel: could not serialise model '${model.name}'`);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
