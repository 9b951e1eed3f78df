import HDF5Kit
import WeightStore

// MARK: - Legacy Keras / tf.keras `.h5` weight files

extension HDF5CheckpointReader {
    /// Tensors named by `weight_names`, layer by layer in `layer_names` order; datasets at
    /// `<layer>/<weight name>` under the root or `/model_weights`.
    static func readKerasLegacy(_ root: HDF5Group) throws -> WeightStore {
        let path = root.file.path
        guard let container = try kerasContainer(root) else {
            throw HDF5CheckpointError.kerasLayout(path: path, problem: "no layer_names attribute")
        }
        var store = try WeightStore()
        var paths: [String: String] = [:]
        for layer in try splitStrings(container, "layer_names") {
            guard !layer.isEmpty, let group = try? container.openGroup(layer) else {
                throw HDF5CheckpointError.kerasLayout(path: path, problem: "layer \"\(layer)\" of layer_names has no group in \(container.path)")
            }
            guard try hasSplitAttribute(group, "weight_names") else {
                throw HDF5CheckpointError.kerasLayout(path: path, problem: "layer group \(group.path) has no weight_names attribute")
            }
            for weight in try splitStrings(group, "weight_names") {
                let datasetPath = group.path + "/" + weight
                guard !weight.isEmpty, (try? group.openDataset(weight)) != nil else {
                    throw HDF5CheckpointError.kerasLayout(path: path, problem: "weight \"\(weight)\" of layer \"\(layer)\" has no dataset \(datasetPath)")
                }
                let tensor = try tensor(named: weight, at: datasetPath, in: root, strictDType: false, keras: true)
                try append(tensor, from: datasetPath, to: &store, paths: &paths, file: path, tiedCopies: true)
            }
        }
        return store
    }

    /// A string-array attribute Keras may have split into `name0`, `name1`, … when it was
    /// larger than the 64 KiB object header limit.
    private static func splitStrings(_ node: HDF5Node, _ name: String) throws -> [String] {
        do {
            if try node.hasAttribute(name) { return try node.openAttribute(name).readStrings() }
            var values: [String] = []
            var index = 0
            while try node.hasAttribute("\(name)\(index)") {
                values += try node.openAttribute("\(name)\(index)").readStrings()
                index += 1
            }
            return values
        } catch let error as HDF5Error {
            throw HDF5CheckpointError.invalidAttribute(path: node.file.path, object: node.path, attribute: name,
                                                       problem: "is not a list of strings (\(error.operation))")
        }
    }
}
