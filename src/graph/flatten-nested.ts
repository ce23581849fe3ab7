/**
 * Nested models (a Sequential or functional model used as a layer) flattened into one functional
 * model of stock layers: every inner layer is re-created from its config (same weights, same
 * trainable flag; a frozen nested model freezes its layers) and wired where the nested model was
 * called. Inner names that clash with another layer get the nested model's name as a prefix.
 */
import * as tf from '@tensorflow/tfjs';

type Sym = tf.SymbolicTensor;

export function hasNestedModels(model: tf.LayersModel): boolean {
  return model.layers.some((l) => l instanceof tf.LayersModel);
}

function cloneLayer(layer: tf.layers.Layer, name: string, trainable: boolean): tf.layers.Layer {
  const cls = layer.getClassName();
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[cls] as unknown as
    | [tf.serialization.SerializableConstructor<tf.layers.Layer>, (c: tf.serialization.SerializableConstructor<tf.layers.Layer>, cfg: tf.serialization.ConfigDict) => tf.layers.Layer]
    | undefined;
  if (!entry) throw new Error(`flattenModel: layer '${layer.name}' has class ${cls}, which is not registered with tf.serialization.registerClass`);
  const config = { ...(layer.getConfig() as tf.serialization.ConfigDict), name, trainable };
  return entry[1](entry[0], config);
}

/** The model itself when it has no nested model; otherwise a new flat functional model with copied weights. */
export function flattenModel(model: tf.LayersModel): tf.LayersModel {
  if (!hasNestedModels(model)) return model;
  // Top-level names keep their name; a clashing inner name gets its nested model's name as a prefix.
  const reserved = new Set(model.layers.filter((l) => !(l instanceof tf.LayersModel)).map((l) => l.name));
  const assigned = new Set<string>();
  const copies: [tf.layers.Layer, tf.layers.Layer][] = [];
  const map = new Map<number, Sym>();
  const inputs = model.inputs.map((t) => {
    const x = tf.input({ shape: t.shape.slice(1) as number[], name: (t.sourceLayer as tf.layers.Layer).name, dtype: t.dtype });
    map.set(t.id, x);
    return x;
  });

  const run = (m: tf.LayersModel, prefix: string, trainable: boolean): void => {
    const pending = m.layers.filter((l) => l.getClassName() !== 'InputLayer');
    while (pending.length > 0) {
      const idx = pending.findIndex((l) => nodeOf(l, m, map) !== undefined);
      if (idx < 0) throw new Error(`flattenModel: cannot order the layers of '${m.name}' (${pending.map((l) => l.name).join(', ')})`);
      const layer = pending.splice(idx, 1)[0];
      const node = nodeOf(layer, m, map)!;
      const ins = node.inputTensors.map((t) => map.get(t.id)!);
      if (layer instanceof tf.LayersModel) {
        layer.inputs.forEach((t, i) => map.set(t.id, ins[i]));
        run(layer, `${prefix}${layer.name}_`, trainable && layer.trainable);
        node.outputTensors.forEach((t, i) => map.set(t.id, map.get(layer.outputs[i].id)!));
        continue;
      }
      let name = layer.name;
      if (m !== model) while (reserved.has(name) || assigned.has(name)) name = `${prefix}${name}`;
      assigned.add(name);
      const copy = cloneLayer(layer, name, trainable && layer.trainable);
      const y = copy.apply(ins.length === 1 ? ins[0] : ins) as Sym | Sym[];
      const ys = Array.isArray(y) ? y : [y];
      node.outputTensors.forEach((t, i) => map.set(t.id, ys[i]));
      copies.push([layer, copy]);
    }
  };
  run(model, '', true);
  const outputs = model.outputs.map((t) => map.get(t.id)!);
  const flat = tf.model({ inputs, outputs, name: model.name });
  for (const [orig, copy] of copies) if (orig.weights.length > 0) copy.setWeights(orig.getWeights());
  return flat;
}

interface NodeLike {
  inputTensors: Sym[];
  outputTensors: Sym[];
  inboundLayers: tf.layers.Layer[];
}

/** The call of `layer` inside container `m` whose inputs are all mapped (a nested model's own self-node is skipped). */
function nodeOf(layer: tf.layers.Layer, m: tf.LayersModel, map: Map<number, Sym>): NodeLike | undefined {
  const nodes = (layer.inboundNodes as unknown as NodeLike[]).filter((n) => n.inboundLayers.length > 0 && n.inputTensors.every((t) => map.has(t.id)));
  const fresh = nodes.filter((n) => !n.outputTensors.every((t) => map.has(t.id)));
  if (fresh.length > 1) throw new Error(`flattenModel: layer '${layer.name}' in '${m.name}' is called ${fresh.length} times (shared layers are not supported)`);
  return fresh[0];
}
