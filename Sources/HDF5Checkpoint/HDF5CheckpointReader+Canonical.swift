import HDF5Kit
import WeightStore

// MARK: - Transfuse's canonical layout (Schemas/HDF5-LAYOUT.md)

extension HDF5CheckpointReader {
    static func readCanonical(_ root: HDF5Group) throws -> WeightStore {
        let path = root.file.path
        let version: Int
        do {
            version = try root.readInt(attribute: "transfuse_layout_version")
        } catch {
            throw HDF5CheckpointError.invalidAttribute(path: path, object: "/", attribute: "transfuse_layout_version",
                                                       problem: "is not a single integer (\(error))")
        }
        guard version == HDF5CheckpointWriter.layoutVersion else {
            throw HDF5CheckpointError.unsupportedLayoutVersion(path: path, version: version)
        }
        guard let orderText = try stringAttribute(root, "transfuse_tensor_order") else {
            throw HDF5CheckpointError.invalidAttribute(path: path, object: "/", attribute: "transfuse_tensor_order", problem: "is missing")
        }
        guard let order = JSONText.decode([String].self, from: orderText) else {
            throw HDF5CheckpointError.invalidAttribute(path: path, object: "/", attribute: "transfuse_tensor_order",
                                                       problem: "is not a JSON array of strings")
        }
        var metadata: [String: String] = [:]
        if let text = try stringAttribute(root, "transfuse_metadata") {
            guard let decoded = JSONText.decode([String: String].self, from: text) else {
                throw HDF5CheckpointError.invalidAttribute(path: path, object: "/", attribute: "transfuse_metadata",
                                                           problem: "is not a JSON object of strings")
            }
            metadata = decoded
        }
        let config = try stringAttribute(root, "transfuse_config")

        var unlisted = Set(try DatasetWalk.datasets(under: root).map { "/" + $0.joined(separator: "/") })
        let escaped = try root.hasLink(CanonicalPaths.escapedGroup) ? try root.openGroup(CanonicalPaths.escapedGroup) : nil
        var store = try WeightStore(metadata: metadata, configJSON: config)
        var paths: [String: String] = [:]
        for name in order {
            if let first = paths[name] {
                throw HDF5CheckpointError.inconsistentOrder(path: path, problem: "\(quoted(name)) is listed twice (dataset \(first))")
            }
            let link = CanonicalPaths.escapedLinkName(name)
            var datasetPath: String? = nil
            if let escaped, try escaped.hasLink(link) {
                datasetPath = "/\(CanonicalPaths.escapedGroup)/\(link)"
            } else if let parts = CanonicalPaths.plainSegments(name) {
                datasetPath = "/" + parts.joined(separator: "/")
            }
            guard let datasetPath, unlisted.remove(datasetPath) != nil else {
                throw HDF5CheckpointError.inconsistentOrder(path: path, problem: "tensor \(quoted(name)) is listed but has no dataset")
            }
            let tensor = try tensor(named: name, at: datasetPath, in: root, strictDType: true)
            try append(tensor, from: datasetPath, to: &store, paths: &paths, file: path)
        }
        if let extra = unlisted.sorted().first {
            throw HDF5CheckpointError.inconsistentOrder(path: path, problem: "dataset \(extra) is not listed"
                + (unlisted.count > 1 ? " (and \(unlisted.count - 1) more)" : ""))
        }
        return store
    }

    /// The string attribute `name` of `node`, nil when absent.
    static func stringAttribute(_ node: HDF5Node, _ name: String) throws -> String? {
        guard try node.hasAttribute(name) else { return nil }
        do {
            return try node.readString(attribute: name)
        } catch let error as HDF5Error {
            throw HDF5CheckpointError.invalidAttribute(path: node.file.path, object: node.path, attribute: name,
                                                       problem: "is not a string (\(error.operation))")
        }
    }

    private static func quoted(_ name: String) -> String {
        (try? JSONText.encode(name)) ?? name
    }
}
